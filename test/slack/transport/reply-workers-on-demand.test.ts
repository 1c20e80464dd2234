import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../src/config/policy.js';
import type { ReplyJob } from '../../../src/slack/replies/reply-protocol.js';
import { ReplyPool } from '../../../src/slack/replies/reply-pool.js';
import { FakeSlackApi } from '../../fakes/fake-slack-api.js';
import { importOwnedSecret } from '../../support/owned-secret.js';
import { responseIdOf, TEST_POLICY } from '../../support/slack-app-harness.js';
import { openTempStore, type TempStore } from '../../support/temp-db.js';

const policy = parsePolicy(TEST_POLICY);

/** Waits (bounded by the test's timeout) until `holds` is true. */
async function until(holds: () => boolean): Promise<void> {
  while (!holds()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** What a describe block's hooks set up: the database, the fake Slack the replies are posted to, the pool. */
class PoolHarness {
  store!: TempStore;
  pool!: ReplyPool;
  readonly fake = new FakeSlackApi();
  /** Replies made on this thread instead of a worker. */
  madeHere = 0;
}

/** A reply pool over a database holding one overdue secret, set up and torn down around the calling describe block. */
function poolOverOneOverdueSecret(secretName: string, options: { size: number; idleMs: number }) {
  const harness = new PoolHarness();

  beforeAll(async () => {
    harness.store = openTempStore({ policy });
    importOwnedSecret(harness.store, { name: secretName });
    await harness.fake.start();
    harness.pool = new ReplyPool({
      size: options.size,
      worker: { dbPath: harness.store.path, dueSoonDays: policy.reminders.offsetsDays, policy },
      logger: pino({ level: 'silent' }),
      main: { recordRefusals: async () => undefined, refreshUserGroups: async () => undefined },
      // Counted, so the test knows the workers made every reply and not this thread.
      fallback: async () => {
        harness.madeHere += 1;
        return { outcome: 'error', error: { message: 'made on the main thread' }, delivered: false };
      },
      idleMs: options.idleMs,
    });
  });
  afterAll(async () => {
    await harness.pool.close();
    await harness.fake.close();
    harness.store.close();
  });

  const overdue = (): Omit<ReplyJob, 'id'> => ({
    request: { kind: 'page', query: { kind: 'overdue', offset: 0 } },
    viewer: { userId: 'U0SEC' },
    responseUrl: harness.fake.newResponseUrl(),
    today: harness.store.clock.now().toISO() as string,
  });

  /** The reply's body as the fake Slack received it, once the pool says it was made. */
  async function delivered(job: Omit<ReplyJob, 'id'>): Promise<string> {
    expect(await harness.pool.run(job)).toEqual({ outcome: 'ok' });
    const id = responseIdOf(job.responseUrl);
    return JSON.stringify((await harness.fake.waitForResponse((response) => response.id === id)).body.blocks);
  }

  return { harness, overdue, delivered };
}

describe('reply workers start on demand and exit when idle', () => {
  const { harness, overdue, delivered } = poolOverOneOverdueSecret('prod/idle/webhook_token', { size: 1, idleMs: 50 });

  it('runs no worker before the first reply, and starts one for it', async () => {
    expect(harness.pool.threads).toHaveLength(0);
    expect(await delivered(overdue())).toContain('prod/idle/webhook_token');
    expect(harness.madeHere).toBe(0);
  });

  it('lets an idle worker exit, and a later reply is still delivered by a new one', async () => {
    await until(() => harness.pool.threads.length === 0);
    expect(await delivered(overdue())).toContain('prod/idle/webhook_token');
    expect(harness.madeHere).toBe(0);
  });
});

describe('reply workers started on demand still share a burst', () => {
  const BURST = 6;
  // Idle longer than any test: both workers are still there when it counts them.
  const { harness, overdue, delivered } = poolOverOneOverdueSecret('prod/spread/webhook_token', { size: 2, idleMs: 600_000 });

  it('starts a second worker while the first is making a reply, and no more than the pool size', async () => {
    expect(harness.pool.threads).toHaveLength(0);
    const bodies = await Promise.all(Array.from({ length: BURST }, () => delivered(overdue())));
    for (const body of bodies) expect(body).toContain('prod/spread/webhook_token');
    expect(harness.madeHere).toBe(0);
    // Both workers ran, not one making all six.
    expect(harness.pool.threads).toHaveLength(2);
    expect(new Set(harness.pool.threads.map((thread) => thread.threadId)).size).toBe(2);
  });
});
