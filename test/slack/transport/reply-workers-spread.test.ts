import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../src/config/policy.js';
import { importRows, parseRows } from '../../../src/import-export/import-service.js';
import type { ReplyJob } from '../../../src/slack/replies/reply-protocol.js';
import { ReplyPool } from '../../../src/slack/replies/reply-pool.js';
import { FakeSlackApi } from '../../fakes/fake-slack-api.js';
import { operator } from '../../support/actors.js';
import { responseIdOf, TEST_POLICY } from '../../support/slack-app-harness.js';
import { openTempStore, type TempStore } from '../../support/temp-db.js';

const BURST = 6;

describe('reply workers started on demand still share a burst', () => {
  const policy = parsePolicy(TEST_POLICY);
  let store: TempStore;
  let fake: FakeSlackApi;
  let pool: ReplyPool;
  let madeHere = 0;

  beforeAll(async () => {
    store = openTempStore({ policy });
    const lastRotated = store.clock.now().minus({ days: 200 }).toISODate() as string;
    const inventory = `- name: prod/spread/webhook_token\n  owner: U0PAY\n  last_rotated: ${lastRotated}\n  interval_days: 90\n`;
    const report = importRows(parseRows('yaml', inventory, store), store, { actor: operator('U0ADMIN'), source: 'inventory.yml' });
    expect(report.written).toBe(true);
    fake = new FakeSlackApi();
    await fake.start();
    pool = new ReplyPool({
      size: 2,
      worker: { dbPath: store.path, dueSoonDays: policy.reminders.offsetsDays, policy },
      logger: pino({ level: 'silent' }),
      main: { recordRefusals: async () => undefined, refreshUserGroups: async () => undefined },
      // Counted, so the test knows the workers made every reply and not this thread.
      fallback: async () => {
        madeHere += 1;
        return { outcome: 'error', error: { message: 'made on the main thread' }, delivered: false };
      },
      // Longer than any test: both workers are still there when it counts them.
      idleMs: 600_000,
    });
  });
  afterAll(async () => {
    await pool.close();
    await fake.close();
    store.close();
  });

  const overdue = (): Omit<ReplyJob, 'id'> => ({
    request: { kind: 'page', query: { kind: 'overdue', offset: 0 } },
    viewer: { userId: 'U0SEC' },
    responseUrl: fake.newResponseUrl(),
    today: store.clock.now().toISO() as string,
  });

  it('starts a second worker while the first is making a reply, and no more than the pool size', async () => {
    expect(pool.threads).toHaveLength(0);
    const jobs = Array.from({ length: BURST }, overdue);
    const outcomes = await Promise.all(jobs.map((job) => pool.run(job)));
    expect(outcomes).toEqual(Array.from({ length: BURST }, () => ({ outcome: 'ok' })));
    for (const job of jobs) {
      const id = responseIdOf(job.responseUrl);
      const body = (await fake.waitForResponse((response) => response.id === id)).body;
      expect(JSON.stringify(body.blocks)).toContain('prod/spread/webhook_token');
    }
    expect(madeHere).toBe(0);
    // Both workers ran, not one making all six.
    expect(pool.threads).toHaveLength(2);
    expect(new Set(pool.threads.map((thread) => thread.threadId)).size).toBe(2);
  });
});
