import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRows, parseRows } from '../../../src/import-export/import-service.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { encodeListQuery } from '../../../src/slack/listeners/commands/secret-list-query.js';
import { operator } from '../../support/actors.js';
import { responseIdOf, startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';

/** More than one worker makes at once (16), so most of the burst waits its turn on the main thread. */
const BURST = 60;
const SECRETS = 25;
/** Five due days, five secrets each, their names not in the order they were written. */
const secrets = Array.from({ length: SECRETS }, (_, index) => ({
  name: `prod/burst/key-${String((index * 7) % SECRETS).padStart(2, '0')}`,
  daysAgo: 100 + (index % 5),
}));
/** Most overdue first, then by name: the order of the list pages. */
const expectedOrder = [...secrets].sort((a, b) => b.daysAgo - a.daysAgo || a.name.localeCompare(b.name)).map((secret) => secret.name);

/** The names of the inventory's secrets a reply shows, in the order it shows them. */
function namesIn(body: Record<string, unknown>): string[] {
  const text = JSON.stringify(body.blocks);
  return secrets
    .map((secret) => ({ name: secret.name, at: text.indexOf(secret.name) }))
    .filter((found) => found.at >= 0)
    .sort((a, b) => a.at - b.at)
    .map((found) => found.name);
}

describe('a burst of list replies through one reply worker', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ env: { ROTOR_REPLY_WORKERS: '1' } });
    const today = harness.store.clock.now();
    const inventory = secrets
      .map(
        (secret) =>
          `- name: ${secret.name}\n  owner: U0PAY\n  last_rotated: ${today.minus({ days: secret.daysAgo }).toISODate()}\n  interval_days: 90\n`,
      )
      .join('');
    const report = importRows(parseRows('yaml', inventory, harness.store), harness.store, {
      actor: operator('U0ADMIN'),
      source: 'inventory.yml',
    });
    expect(report.written).toBe(true);
  });
  afterAll(async () => harness.close());

  it('delivers every reply of a burst past what the worker takes at once, each the right page in order', async () => {
    const sent = await Promise.all(
      Array.from({ length: BURST }, (_, index) =>
        index % 2 === 0
          ? harness.command('/secrets', 'overdue', 'U0SEC')
          : harness.click({ actionId: ACTION_IDS.listMore, value: encodeListQuery({ kind: 'overdue', offset: 20 }), userId: 'U0SEC' }),
      ),
    );
    expect(sent.map((reply) => reply.status)).toEqual(Array.from({ length: BURST }, () => 200));
    const replies = await Promise.all(
      sent.map(async (reply) => {
        const id = responseIdOf(reply.responseUrl);
        return (await harness.fake.waitForResponse((response) => response.id === id, 60_000)).body;
      }),
    );
    replies.forEach((body, index) => {
      expect(body.response_type).toBe('ephemeral');
      expect(namesIn(body)).toEqual(index % 2 === 0 ? expectedOrder.slice(0, 20) : expectedOrder.slice(20));
    });
    // The first pages count every overdue secret, not only the page's.
    expect(JSON.stringify(replies[0])).toContain(`Overdue secrets: ${SECRETS}`);
    // One worker made them (started at the first reply, not one per reply waiting).
    expect(harness.runtime.replyPool?.threads.length).toBe(1);
  });
});
