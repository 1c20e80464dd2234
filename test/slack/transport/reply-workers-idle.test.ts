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

/** Waits (bounded by the test's timeout) until `holds` is true. */
async function until(holds: () => boolean): Promise<void> {
  while (!holds()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('reply workers start on demand and exit when idle', () => {
  const policy = parsePolicy(TEST_POLICY);
  let store: TempStore;
  let fake: FakeSlackApi;
  let pool: ReplyPool;
  let madeHere = 0;

  beforeAll(async () => {
    store = openTempStore({ policy });
    const lastRotated = store.clock.now().minus({ days: 200 }).toISODate() as string;
    const inventory = `- name: prod/idle/webhook_token\n  owner: U0PAY\n  last_rotated: ${lastRotated}\n  interval_days: 90\n`;
    const report = importRows(parseRows('yaml', inventory, store), store, { actor: operator('U0ADMIN'), source: 'inventory.yml' });
    expect(report.written).toBe(true);
    fake = new FakeSlackApi();
    await fake.start();
    pool = new ReplyPool({
      size: 1,
      worker: { dbPath: store.path, dueSoonDays: policy.reminders.offsetsDays, policy },
      logger: pino({ level: 'silent' }),
      main: { recordRefusals: async () => undefined, refreshUserGroups: async () => undefined },
      // Counted, so the test knows a worker made each reply and not this thread.
      fallback: async () => {
        madeHere += 1;
        return { outcome: 'error', error: { message: 'made on the main thread' }, delivered: false };
      },
      idleMs: 50,
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

  async function delivered(job: Omit<ReplyJob, 'id'>): Promise<string> {
    expect(await pool.run(job)).toEqual({ outcome: 'ok' });
    const id = responseIdOf(job.responseUrl);
    return JSON.stringify((await fake.waitForResponse((response) => response.id === id)).body);
  }

  it('runs no worker before the first reply, and starts one for it', async () => {
    expect(pool.threads).toHaveLength(0);
    expect(await delivered(overdue())).toContain('prod/idle/webhook_token');
    expect(madeHere).toBe(0);
  });

  it('lets an idle worker exit, and a later reply is still delivered by a new one', async () => {
    await until(() => pool.threads.length === 0);
    expect(await delivered(overdue())).toContain('prod/idle/webhook_token');
    expect(madeHere).toBe(0);
  });
});
