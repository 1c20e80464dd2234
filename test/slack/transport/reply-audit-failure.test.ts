import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerRead, type ReplyContext } from '../../../src/slack/replies/answer-read.js';
import { FakeSlackApi } from '../../fakes/fake-slack-api.js';
import { importOwnedSecret } from '../../support/owned-secret.js';
import { openTempStore, type TempStore } from '../../support/temp-db.js';
import { responseIdOf } from '../../support/slack-app-harness.js';

/**
 * A read-only reply made away from the main thread (answerRead, as a reply worker runs it): a
 * refusal must reach the audit log before the person is told, so when the main thread cannot
 * write it, the person gets the generic error instead of the refusal, and Rotor logs the failure.
 */
describe('a read-only reply whose refusal cannot be audited', () => {
  let store: TempStore;
  let fake: FakeSlackApi;
  beforeAll(async () => {
    fake = new FakeSlackApi();
    await fake.start();
    store = openTempStore();
    importOwnedSecret(store, { daysAgo: 10 });
  });
  afterAll(async () => {
    store.close();
    await fake.close();
  });

  const context = (recordRefusals: ReplyContext['main']['recordRefusals']): ReplyContext => ({
    reads: { inventory: store.inventory, needs: store.rotationNeeds, userGroups: store.userGroups },
    policy: store.policy,
    dueSoonDays: store.policy.reminders.offsetsDays,
    main: { recordRefusals, refreshUserGroups: async () => undefined },
  });

  it('tells the person something went wrong, not the refusal, and says it failed', async () => {
    const responseUrl = fake.newResponseUrl();
    const outcome = await answerRead(
      context(() => Promise.reject(new Error('database is locked'))),
      {
        id: 1,
        request: { kind: 'show', name: 'prod/billing/webhook_token' },
        viewer: { userId: 'U0OUTSIDER' },
        responseUrl,
        today: store.clock.now().toISO() as string,
      },
    );
    expect(outcome).toMatchObject({ outcome: 'error', delivered: true, error: { message: 'database is locked' } });
    const told = await fake.waitForResponse((response) => response.id === responseIdOf(responseUrl));
    expect(String(told.body.text)).toContain('Something went wrong inside Rotor');
    expect(JSON.stringify(told.body)).not.toContain('U0PAY');
  });

  it('tells the refusal once it is recorded, with the refusal handed over whole', async () => {
    const recorded: unknown[] = [];
    const responseUrl = fake.newResponseUrl();
    const outcome = await answerRead(
      context(async (refusals) => void recorded.push(...refusals)),
      {
        id: 2,
        request: { kind: 'show', name: 'prod/billing/webhook_token' },
        viewer: { userId: 'U0OUTSIDER', channelId: 'C0GENERAL' },
        responseUrl,
        today: store.clock.now().toISO() as string,
      },
    );
    expect(outcome).toEqual({ outcome: 'rejected', code: 'forbidden' });
    expect(recorded).toEqual([
      expect.objectContaining({ actor: 'U0OUTSIDER', attempted: 'read', secret: 'prod/billing/webhook_token', channel: 'C0GENERAL' }),
    ]);
    const told = await fake.waitForResponse((response) => response.id === responseIdOf(responseUrl));
    expect(String(told.body.text)).toContain('There is no secret named `prod/billing/webhook_token` that you may see');
  });
});
