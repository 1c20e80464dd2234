import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../../support/actors.js';
import { startListenerHarness, type ListenerHarness } from '../../support/listener-harness.js';
import { responseIdOf } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';

/** Slash commands routed to their listeners and answered through the response_url: the listeners alone, no HTTP (test/support/listener-harness.ts). */
describe('slash commands routed to their listeners', () => {
  let harness: ListenerHarness;
  beforeAll(async () => {
    harness = await startListenerHarness({ at: '2026-11-22T10:00:00Z' });
    harness.store.inventoryService.create(
      { name: 'prod/kafka/password', owner: 'U0DBA', lastRotated: '2026-07-01', lifecycle: 'active' },
      operator('U0ADMIN'),
      'test-seed',
    );
  });
  afterAll(async () => harness.close());

  const replyTo = async (responseUrl: string | null) =>
    (await harness.fake.waitForResponse((response) => response.id === responseIdOf(responseUrl ?? ''))).body;

  it('/rotate checks the name and the right to rotate before any modal opens', async () => {
    const unknown = await replyTo((await harness.command('/rotate', 'prod/kafka/pasword', 'U0DBA')).responseUrl);
    expect(unknown.text).toContain('Did you mean: prod/kafka/password');
    // Someone who may not read the secret either (visibility: restricted) is refused without its people being named.
    const opened = harness.fake.callsTo('views.open').length;
    const refused = await replyTo((await harness.command('/rotate', 'prod/kafka/password', 'U0NOBODY')).responseUrl);
    expect(refused.text).toContain('There is no secret named `prod/kafka/password` that you may see');
    expect(harness.fake.callsTo('views.open')).toHaveLength(opened);
  });

  it('/revoke outside an incident channel is refused clearly, even for a responder', async () => {
    const before = snapshotTables(harness.store, ['secrets']);
    const refused = await replyTo(
      (await harness.command('/revoke', 'prod/kafka/password leaked', 'U0SEC', { channelId: 'C0GENERAL' })).responseUrl,
    );
    expect(refused.text).toContain('only allowed in an incident channel (<#C0INCIDENT>)');
    expect(snapshotTables(harness.store, ['secrets'])).toEqual(before);
  });
});
