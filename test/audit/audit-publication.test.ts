import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointText, type AuditCheckpoint } from '../../src/audit/audit-checkpoint.js';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { AuditPublisher, type AuditStream } from '../../src/audit/audit-publisher.js';
import { HmacKeyring } from '../../src/core/hmac-keyring.js';
import { openDatabase } from '../../src/storage/database.js';
import { runRotor } from '../support/cli.js';
import { startSlackHarness, TEST_POLICY } from '../support/slack-app-harness.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

function collecting(): AuditStream & { events: AuditEvent[]; checkpoints: AuditCheckpoint[] } {
  const events: AuditEvent[] = [];
  const checkpoints: AuditCheckpoint[] = [];
  return { events, checkpoints, event: (event) => events.push(event), checkpoint: (checkpoint) => checkpoints.push(checkpoint) };
}

const fail = (error: unknown) => {
  throw error;
};

describe('publishing the audit log to the log stream', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  const addSecrets = (count: number, prefix: string) => {
    for (let index = 0; index < count; index += 1)
      store.inventoryService.create({ name: `prod/${prefix}${index}/key` }, operator('U1'), 'test');
  };

  it('two processes publishing from one database put every event out exactly once, each batch ending with a signed checkpoint', () => {
    const key = randomBytes(32).toString('hex');
    const otherDb = openDatabase(store.path);
    const [first, second] = [collecting(), collecting()];
    const publishers = [
      new AuditPublisher(store.db, store.clock, HmacKeyring.fromEnv(key), first, fail, 3),
      new AuditPublisher(otherDb, store.clock, HmacKeyring.fromEnv(key), second, fail, 3),
    ];
    try {
      addSecrets(4, 'a');
      publishers[1]?.publishPending();
      addSecrets(5, 'b');
      publishers[0]?.publishPending();
      publishers[1]?.publishPending();
      addSecrets(2, 'c');
      publishers[1]?.publishPending();
      publishers[0]?.publishPending();
    } finally {
      otherDb.close();
    }
    const seqs = [...first.events, ...second.events].map((event) => event.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 11 }, (_, index) => index + 1));
    const checkpoints = [...first.checkpoints, ...second.checkpoints];
    expect(checkpoints.map((checkpoint) => checkpoint.seq).sort((a, b) => a - b)).toEqual([3, 4, 7, 9, 11]);
    for (const checkpoint of checkpoints) {
      expect(checkpoint.mac).toBe(createHmac('sha256', key).update(checkpointText(checkpoint)).digest('hex'));
      expect(checkpoint.hash).toBe(store.db.prepare('SELECT hash FROM audit_events WHERE seq = ?').pluck().get(checkpoint.seq));
    }
  });

  it('publishes a batch again, whole, when writing it out failed part-way: a repeat, never a gap', () => {
    addSecrets(3, 'a');
    let broken = true;
    const stream = collecting();
    const flaky: AuditStream = {
      event: (event) => {
        if (broken && event.seq === 2) throw new Error('stdout closed');
        stream.event(event);
      },
      checkpoint: (checkpoint) => stream.checkpoint(checkpoint),
    };
    const publisher = new AuditPublisher(store.db, store.clock, null, flaky, fail);
    expect(() => publisher.publishPending()).toThrow('stdout closed');
    broken = false;
    expect(publisher.publishPending()).toBe(3);
    expect(stream.events.map((event) => event.seq)).toEqual([1, 1, 2, 3]);
    expect(publisher.publishPending()).toBe(0);
  });
});

describe('the bot publishes every audit event, whatever wrote it', () => {
  it('events written before it started, and events the CLI writes while it runs, reach its log stream once', async () => {
    const harness = await startSlackHarness({
      beforeStart: ({ store }) => store.inventoryService.create({ name: 'prod/early/key' }, operator('U0ADMIN'), 'test'),
    });
    try {
      await harness.waitForLog((line) => (line.audit as AuditEvent | undefined)?.secret === 'prod/early/key');
      const file = join(harness.store.dir, 'cli.yaml');
      writeFileSync(file, '- {name: prod/from_cli/key}\n- {name: prod/from_cli/other}\n');
      expect((await runRotor(['--db', harness.store.path, 'import', file])).code).toBe(0);
      await harness.waitForLog((line) => (line.audit as AuditEvent | undefined)?.secret === 'prod/from_cli/other', 8_000);
      const head = harness.store.db.prepare('SELECT seq, hash FROM audit_head').get() as { seq: number; hash: string };
      await harness.waitForLog((line) => (line.auditCheckpoint as AuditCheckpoint | undefined)?.seq === head.seq);
      const published = harness.logLines.filter((line) => line.msg === 'audit event').map((line) => (line.audit as AuditEvent).seq);
      expect(published).toEqual(Array.from({ length: head.seq }, (_, index) => index + 1));
      expect(harness.logLines.find((line) => (line.audit as AuditEvent | undefined)?.secret === 'prod/from_cli/key')).toMatchObject({
        component: 'audit',
        audit: { actor: expect.stringMatching(/^cli/) },
      });
    } finally {
      await harness.close();
    }
  }, 20_000);
});

describe('the bot posts a checkpoint of the audit head to the announcement channel', () => {
  it('at start-up when today has none, signed with ROTOR_AUDIT_KEY, once', async () => {
    const key = randomBytes(32).toString('hex');
    const harness = await startSlackHarness({
      policy: TEST_POLICY.replace('channels:\n', 'channels:\n  announce: C0ANNOUNCE\n'),
      env: { ROTOR_AUDIT_KEY: key },
    });
    try {
      const call = await harness.fake.waitForCall('chat.postMessage', (candidate) => candidate.args.channel === 'C0ANNOUNCE');
      const head = harness.store.db.prepare('SELECT seq, hash FROM audit_events WHERE seq = 1').get() as { seq: number; hash: string };
      expect(String(call.args.text)).toContain(`rotor audit verify --expect-head ${head.seq}:${head.hash}`);
      const at = /Audit checkpoint at (\S+):/.exec(String(call.args.text))?.[1] as string;
      expect(String(call.args.text)).toContain(
        createHmac('sha256', key)
          .update(checkpointText({ seq: head.seq, hash: head.hash, at }))
          .digest('hex'),
      );
      expect(harness.fake.callsTo('chat.postMessage').filter((candidate) => candidate.args.channel === 'C0ANNOUNCE')).toHaveLength(1);
    } finally {
      await harness.close();
    }
  });
});
