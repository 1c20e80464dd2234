import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRows, parseRows } from '../../../src/import-export/import-service.js';
import { snapshotTables } from '../../support/temp-db.js';
import { operator } from '../../support/actors.js';
import { startSlackHarness, responseIdOf, TEST_POLICY, type SlackHarness } from '../../support/slack-app-harness.js';

/** The inventory, imported the way an admin would with `rotor import` (every row audited). */
const INVENTORY_YAML = `
- name: prod/postgres/connection_string
  owner: U0DBA
  backup_owner: U0DBA2
  team: platform
  last_rotated: 2026-07-01
  interval_days: 90
- name: prod/stripe/api_key
  owner: U0PAY
  team: payments
  last_rotated: 2026-05-01
  interval_days: 90
  description: "Ping <!channel> & see <https://evil.example|here>"
- name: prod/redis/password
  owner: U0OPS
  last_rotated: 2026-11-01
  interval_days: 90
- name: staging/jwt/signing_key
  last_rotated: 2026-11-10
  interval_days: 30
`;

function seedInventory(harness: SlackHarness): void {
  const report = importRows(parseRows('yaml', INVENTORY_YAML, harness.store), harness.store, {
    actor: operator('U0ADMIN'),
    source: 'inventory.yml',
  });
  expect(report.written).toBe(true);
}

describe('/secrets over HTTP against the fake Slack Web API', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    // Strangers here read the whole inventory (the write refusals are what is tested); what
    // `visibility: restricted` hides is tested in visibility.test.ts.
    harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z', policy: `${TEST_POLICY}visibility: workspace\n` });
    seedInventory(harness);
  });
  afterAll(async () => harness.close());

  async function replyTo(responseUrl: string) {
    const id = responseIdOf(responseUrl);
    return (await harness.fake.waitForResponse((response) => response.id === id)).body;
  }

  it('acknowledges /secrets overdue with 200 and delivers the overdue secrets with owners, most overdue first', async () => {
    const reply = await harness.command('/secrets', 'overdue', 'U0SEC');
    expect(reply.status).toBe(200);
    const message = await replyTo(reply.responseUrl);
    expect(message.response_type).toBe('ephemeral');
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('prod/stripe/api_key');
    expect(text).toContain('prod/postgres/connection_string');
    expect(text).not.toContain('prod/redis/password');
    expect(text.indexOf('prod/stripe/api_key')).toBeLessThan(text.indexOf('prod/postgres/connection_string'));
    expect(text).toContain('<@U0PAY>');
    expect(text).toContain('<@U0DBA>');
    expect(text).toContain('overdue by 115 days');
  });

  it('escapes user-supplied text so <!channel> and links never ping or link', async () => {
    const reply = await harness.command('/secrets', 'overdue', 'U0SEC');
    const text = JSON.stringify((await replyTo(reply.responseUrl)).blocks);
    expect(text).toContain('Ping &lt;!channel&gt; &amp; see &lt;https://evil.example|here&gt;');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
  });

  it('`show` of an unknown name suggests the closest names and changes nothing', async () => {
    const before = snapshotTables(harness.store);
    const reply = await harness.command('/secrets', 'show prod/stripe/api_kye', 'U0SEC');
    expect(reply.status).toBe(200);
    const message = await replyTo(reply.responseUrl);
    expect(message.text).toContain('No secret named `prod/stripe/api_kye`');
    expect(message.text).toContain('Did you mean: prod/stripe/api_key');
    expect(snapshotTables(harness.store)).toEqual(before);
  });

  it('`show` of a known name shows its metadata', async () => {
    const reply = await harness.command('/secrets', 'show prod/postgres/connection_string', 'U0DBA');
    const text = JSON.stringify((await replyTo(reply.responseUrl)).blocks);
    expect(text).toContain('<@U0DBA2>');
    expect(text).toContain('overdue by 54 days (due 2026-09-29)');
  });

  it.each([
    [
      'unknown subcommand',
      'frobnicate',
      'is not a `/secrets` subcommand. Use one of: overdue, due, list, show, owner, add, edit, review, help',
    ],
    ['upper-case name', 'show Prod/Stripe/API_KEY', 'has upper-case letters'],
    ['two-segment name', 'show prod/stripe', 'has 2 segments'],
    ['unknown environment', 'show qa/stripe/api_key', 'is not a known environment'],
    ['plain @name', 'owner prod/stripe/api_key @sam', 'is not a Slack user'],
    ['broadcast mention', 'owner prod/stripe/api_key <!channel>', 'is a group or broadcast, not a person'],
    ['channel mention', 'owner prod/stripe/api_key <#C0123|general>', 'is a channel, not a person'],
    ['zero days', 'due 0d', 'is not a number of days between 1 and 365'],
    ['list by plain @name', 'list @nobody', 'is not a Slack user'],
    ['3,000-character text', 'x'.repeat(3000), 'That command is 3000 characters long'],
  ])('bad input (%s) gets a clear reply and changes nothing', async (_label, text, expected) => {
    const before = snapshotTables(harness.store);
    const reply = await harness.command('/secrets', text, 'U0ADMIN');
    expect(reply.status).toBe(200);
    const message = await replyTo(reply.responseUrl);
    expect(String(message.text)).toContain(expected.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] as string));
    expect(snapshotTables(harness.store)).toEqual(before);
  });

  it('refuses `owner` to someone who may not change it, audits the refusal, says who may, and leaves the secret alone', async () => {
    const secretsBefore = snapshotTables(harness.store, ['secrets']);
    const auditBefore = snapshotTables(harness.store, ['audit_events']).audit_events as unknown[];
    const reply = await harness.command('/secrets', 'owner prod/stripe/api_key <@U0MALLORY|mallory>', 'U0MALLORY');
    const message = await replyTo(reply.responseUrl);
    expect(message.text).toContain('You may not change the owner of `prod/stripe/api_key`');
    expect(message.text).toContain('its owner (<@U0PAY>)');
    expect(message.text).toContain('its team lead (<@U0PAYLEAD>)');
    expect(snapshotTables(harness.store, ['secrets'])).toEqual(secretsBefore);
    const audit = snapshotTables(harness.store, ['audit_events']).audit_events as { action: string; actor: string; secret: string }[];
    expect(audit.slice(0, auditBefore.length)).toEqual(auditBefore);
    expect(audit.slice(auditBefore.length)).toMatchObject([{ action: 'access.denied', actor: 'U0MALLORY', secret: 'prod/stripe/api_key' }]);
  });

  it('`owner` by the team lead reassigns the secret, audits it and DMs the new owner', async () => {
    harness.fake.addUser('U0NEWOWNER');
    const reply = await harness.command('/secrets', 'owner prod/stripe/api_key <@U0NEWOWNER|newbie>', 'U0PAYLEAD');
    const message = await replyTo(reply.responseUrl);
    expect(message.text).toContain('now belongs to <@U0NEWOWNER>');
    const dm = await harness.fake.waitForCall('chat.postMessage', (call) => call.args.channel === 'U0NEWOWNER');
    expect(String(dm.args.text)).toContain('made you the owner of `prod/stripe/api_key`');
    expect(harness.store.inventory.get('prod/stripe/api_key')?.owner).toBe('U0NEWOWNER');
    const last = harness.store.db.prepare('SELECT action, actor FROM audit_events ORDER BY seq DESC LIMIT 1').get();
    expect(last).toEqual({ action: 'secret.updated', actor: 'U0PAYLEAD' });
  });

  it('`owner` with a mention Slack does not know as a user changes nothing', async () => {
    const before = snapshotTables(harness.store);
    const reply = await harness.command('/secrets', 'owner prod/redis/password <@U0GHOST|ghost>', 'U0OPS');
    const message = await replyTo(reply.responseUrl);
    expect(message.text).toContain('U0GHOST is not a user in this workspace');
    expect(snapshotTables(harness.store)).toEqual(before);
  });

  it('when the DM to the new owner fails with channel_not_found, the owner still changes and the user is told what to do', async () => {
    harness.fake.addUser('U0OTHER');
    harness.fake.script('chat.postMessage', { error: 'channel_not_found' });
    const reply = await harness.command('/secrets', 'owner prod/redis/password <@U0OTHER|other>', 'U0OPS');
    const message = await replyTo(reply.responseUrl);
    expect(message.text).toContain('now belongs to <@U0OTHER>');
    expect(message.text).toContain('I could not DM them');
    expect(message.text).toContain('/invite @Rotor');
  });

  it('retries a rate-limited Web API call after Retry-After', async () => {
    harness.fake.addUser('U0THIRD');
    harness.fake.script('chat.postMessage', { rateLimitedForSeconds: 1 });
    const before = harness.fake.callsTo('chat.postMessage').length;
    const reply = await harness.command('/secrets', 'owner prod/redis/password <@U0THIRD|third>', 'U0OPS');
    const message = await replyTo(reply.responseUrl);
    expect(message.text).toContain('I told them in a DM');
    const dms = harness.fake.callsTo('chat.postMessage').slice(before);
    expect(dms).toHaveLength(2);
    expect(dms[0]?.args).toEqual(dms[1]?.args);
  });

  it('`due 200d`, `list prod` and `review` answer with the matching secrets', async () => {
    const due = await replyTo((await harness.command('/secrets', 'due 200d', 'U0SEC')).responseUrl);
    expect(JSON.stringify(due.blocks)).toContain('prod/redis/password');
    expect(JSON.stringify(due.blocks)).not.toContain('prod/stripe/api_key');

    const list = await replyTo((await harness.command('/secrets', 'list staging', 'U0SEC')).responseUrl);
    expect(JSON.stringify(list.blocks)).toContain('staging/jwt/signing_key');
    expect(JSON.stringify(list.blocks)).not.toContain('prod/');

    const review = await replyTo((await harness.command('/secrets', 'review', 'U0SEC')).responseUrl);
    const text = JSON.stringify(review.blocks);
    expect(text).toContain('*No owner* (1)');
    expect(text).toContain('staging/jwt/signing_key');
    expect(text).toContain('*Owner no longer in Slack*: none');
  });

  it('`review` flags secrets whose owner the reminder sweep found gone from Slack', async () => {
    const { recipients, clock, inventory } = harness.store;
    const owner = inventory.get('prod/stripe/api_key')?.owner as string;
    recipients.save({ userId: owner, tz: null, gone: true, fetchedAt: clock.now().toISO() as string });
    recipients.flagOwnerGone(owner, clock.now());
    try {
      const review = await replyTo((await harness.command('/secrets', 'review', 'U0SEC')).responseUrl);
      const text = JSON.stringify(review.blocks);
      expect(text).toContain('*Owner no longer in Slack* (1)');
      expect(text).toContain('prod/stripe/api_key');
    } finally {
      recipients.save({ userId: owner, tz: null, gone: false, fetchedAt: clock.now().toISO() as string });
    }
  });

  it('`help` lists every subcommand', async () => {
    const message = await replyTo((await harness.command('/secrets', 'help', 'U0SEC')).responseUrl);
    for (const sub of ['overdue', 'due', 'list', 'show', 'owner', 'add', 'edit', 'review', 'help'])
      expect(message.text).toContain(`/secrets ${sub}`);
  });

  it('writes one JSON log line per handled request, with latency and without the command text', async () => {
    await replyTo((await harness.command('/secrets', 'show dev/unlogged/name_xyz', 'U0LOGGER')).responseUrl);
    const line = await harness.waitForLog((entry) => entry.msg === 'slack request handled' && entry.user === 'U0LOGGER');
    expect(line).toMatchObject({ kind: 'command', name: '/secrets show', outcome: 'rejected', latencyMs: expect.any(Number) });
    expect(harness.rawLog()).not.toContain('dev/unlogged/name_xyz');
    expect(harness.rawLog()).not.toContain(harness.signingSecret);
  });
});
