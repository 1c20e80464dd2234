import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditCheckpoint } from '../../src/audit/audit-checkpoint.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { DailyCheckpoints } from '../../src/audit/daily-checkpoints.js';
import { HmacKeyring } from '../../src/core/hmac-keyring.js';
import { auditCheckpointJob } from '../../src/scheduler/audit-jobs.js';
import { auditCheckpointMessage } from '../../src/slack/views/audit-checkpoint-message.js';
import { openDatabase } from '../../src/storage/database.js';
import { LIMITS } from '../../src/slack/views/block-kit-limits.js';
import { capturingLogger } from '../support/provider-harness.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

describe('the daily audit checkpoint', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore({ at: '2026-11-22T00:05:00Z' });
  });
  afterEach(() => store.close());

  it('is posted once a day however many processes run, and again the next day', async () => {
    const keys = HmacKeyring.fromEnv(randomBytes(32).toString('hex'));
    const audit = new AuditLog(store.db, store.clock, keys);
    audit.useCurrentScheme('rotor');
    const otherDb = openDatabase(store.path);
    const posted: AuditCheckpoint[] = [];
    const jobFor = (checkpoints: DailyCheckpoints) =>
      auditCheckpointJob({ checkpoints, post: async (checkpoint) => posted.push(checkpoint), logger: capturingLogger().logger });
    try {
      const jobs = [
        jobFor(new DailyCheckpoints(store.db, store.clock, audit)),
        jobFor(new DailyCheckpoints(otherDb, store.clock, new AuditLog(otherDb, store.clock, keys))),
      ];
      await Promise.all(jobs.map((job) => job.run()));
      expect(posted).toHaveLength(1);
      expect(posted[0]).toMatchObject({
        seq: 1,
        at: '2026-11-22T00:05:00.000Z',
        scheme: `hmac-sha256:${keys?.current.id}`,
        mac: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      await jobs[1]?.run();
      expect(posted).toHaveLength(1);
      store.clock.advance({ days: 1 });
      audit.log({ actor: 'U1', action: 'test.next_day' });
      await jobs[1]?.run();
      await jobs[0]?.run();
      expect(posted.map((checkpoint) => checkpoint.seq)).toEqual([1, 2]);
    } finally {
      otherDb.close();
    }
  });

  it('gives the day back when the post fails, so the next run posts it', async () => {
    store.audit.log({ actor: 'U1', action: 'test.event' });
    let attempts = 0;
    const posted: AuditCheckpoint[] = [];
    const { logger, lines } = capturingLogger();
    const job = auditCheckpointJob({
      checkpoints: new DailyCheckpoints(store.db, store.clock, store.audit),
      post: async (checkpoint) => {
        attempts += 1;
        if (attempts === 1) throw new Error('channel_not_found');
        posted.push(checkpoint);
      },
      logger,
    });
    await job.run();
    expect(lines.join('')).toMatch(/could not post the audit checkpoint/);
    await job.run();
    expect(posted).toHaveLength(1);
  });

  it('posts nothing for an empty log', async () => {
    const posted: AuditCheckpoint[] = [];
    await auditCheckpointJob({
      checkpoints: new DailyCheckpoints(store.db, store.clock, store.audit),
      post: async (checkpoint) => posted.push(checkpoint),
      logger: capturingLogger().logger,
    }).run();
    expect(posted).toEqual([]);
  });

  it('says the head, the signature and the command that checks the database against it', () => {
    const hash = 'c0'.repeat(32);
    const signed = auditCheckpointMessage({
      seq: 42,
      hash,
      at: '2026-11-22T00:05:00.000Z',
      scheme: 'hmac-sha256:0123456789ab',
      mac: 'ee'.repeat(32),
    });
    expect(signed.text).toContain(`event #42, hash \`${hash}\`, signed hmac-sha256:0123456789ab: \`${'ee'.repeat(32)}\``);
    expect(signed.text).toContain(`rotor audit verify --expect-head 42:${hash}`);
    expect(signed.blocks).toHaveLength(1);
    expect(JSON.stringify(signed.blocks).length).toBeLessThan(LIMITS.sectionText);
    expect(auditCheckpointMessage({ seq: 1, hash, at: '2026-11-22T00:05:00.000Z', scheme: 'unsigned', mac: null }).text).toContain(
      'unsigned (ROTOR_AUDIT_KEY is not set)',
    );
  });
});
