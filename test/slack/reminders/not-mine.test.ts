import type { KnownBlock } from '@slack/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importRows, parseRows } from '../../../src/import-export/import-service.js';
import { ACTION_IDS, CALLBACK_IDS, FORM_VALUE_ACTION, NOT_MINE_BLOCKS } from '../../../src/slack/ids.js';
import type { RecordedCall } from '../../fakes/fake-slack-api.js';
import { operator } from '../../support/actors.js';
import { responseIdOf, startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';
import { buttonClick, stateValue, submittedView } from '../../support/slack-payloads.js';
import { snapshotTables } from '../../support/temp-db.js';
import { sealedFor } from '../../support/sealed-metadata.js';

/** Due 2027-01-31: on 2027-01-01 at 10:00 UTC its 30-day warning is owed to the owner. */
const INVENTORY_YAML = `
- name: prod/stripe/api_key
  owner: U0OWNER
  backup_owner: U0BACKUP
  team: payments
  last_rotated: 2026-11-02
  interval_days: 90
`;
const NOW = '2027-01-01T10:00:00Z';
const TABLES = ['secrets', 'reminder_ledger', 'reminder_not_mine', 'audit_events'];

describe('"Not mine": once per cycle, that person reminded no more, the admins given a button that applies the suggested owner', () => {
  let harness: SlackHarness;
  let key: string;
  beforeEach(async () => {
    harness = await startSlackHarness({
      at: NOW,
      beforeStart: ({ fake, store }) => {
        for (const user of ['U0OWNER', 'U0BACKUP', 'U0PAYLEAD', 'U0ADMIN', 'U0SEC', 'U0REAL']) fake.addUser(user, 'UTC');
        expect(
          importRows(parseRows('yaml', INVENTORY_YAML, store), store, { actor: operator('U0ADMIN'), source: 'inventory.yml' }).written,
        ).toBe(true);
      },
    });
    const [reminder] = harness.fake.callsTo('chat.postMessage');
    key = (reminder?.args.metadata as { event_payload: { keys: string } }).event_payload.keys;
    expect(reminder?.args.channel).toBe('U0OWNER');
  });
  afterEach(async () => harness.close());

  const postsTo = (channel: string) => harness.fake.callsTo('chat.postMessage').filter((call) => call.args.channel === channel);
  const notMineEvents = () =>
    harness.store.db.prepare(`SELECT actor, details FROM audit_events WHERE action = 'reminder.not_mine'`).all() as {
      actor: string;
      details: string;
    }[];

  async function sayNotMine(userId: string, rightOwner: string | null): Promise<RecordedCall> {
    const before = postsTo(userId).length;
    const view = submittedView(harness.payloads, {
      callbackId: CALLBACK_IDS.notMine,
      privateMetadata: sealedFor(harness, CALLBACK_IDS.notMine, JSON.stringify({ key })),
      values: {
        [NOT_MINE_BLOCKS.rightOwner]: { [FORM_VALUE_ACTION]: stateValue.user(rightOwner) },
        [NOT_MINE_BLOCKS.note]: { [FORM_VALUE_ACTION]: stateValue.text(null) },
      },
    });
    const reply = await harness.submit({ userId, view });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('');
    await harness.fake.waitForCall('chat.postMessage', () => postsTo(userId).length > before);
    return postsTo(userId).at(-1) as RecordedCall;
  }

  async function sweepAt(at: string): Promise<string[]> {
    const before = harness.fake.callsTo('chat.postMessage').length;
    harness.store.clock.set(at);
    await harness.runtime.runJob('reminder-sweep');
    return harness.fake
      .callsTo('chat.postMessage')
      .slice(before)
      .map((call) => `${String(call.args.channel)} ${String(call.args.text)}`);
  }

  /** A click on the admin's "not mine" DM itself, as Slack sends it. */
  function clickOnReport(report: RecordedCall, userId: string, value?: string) {
    const blocks = report.args.blocks as KnownBlock[];
    const button = (blocks.find((block) => block.type === 'actions') as { elements: { action_id: string; value: string }[] }).elements[0]!;
    expect(button.action_id).toBe(ACTION_IDS.notMineApplyOwner);
    const payload = buttonClick(harness.payloads, {
      actionId: button.action_id,
      value: value ?? button.value,
      userId,
      channelId: `D${String(report.args.channel).slice(1)}`,
      blockId: 'not_mine_report',
    });
    const ts = '1798797600.000900';
    return {
      ts,
      payload: {
        ...payload,
        message: { type: 'message' as const, ts, text: String(report.args.text), blocks },
        container: { type: 'message', message_ts: ts, channel_id: `D${String(report.args.channel).slice(1)}`, is_ephemeral: false },
      },
    };
  }

  it('a second answer in the same cycle tells nobody again and says so; nothing more is recorded', async () => {
    const first = await sayNotMine('U0OWNER', 'U0REAL');
    expect(String(first.args.text)).toMatch(
      /^:ok_hand: Thanks\. I told Rotor's admins and security leads .* You get no more reminders about it until it is rotated\.$/,
    );
    expect(postsTo('U0ADMIN')).toHaveLength(1);
    expect(postsTo('U0SEC')).toHaveLength(1);
    expect(harness.store.db.prepare('SELECT said_by, suggested_owner, cycle FROM reminder_not_mine').all()).toEqual([
      { said_by: 'U0OWNER', suggested_owner: 'U0REAL', cycle: '2027-01-31' },
    ]);
    const after = snapshotTables(harness.store, TABLES);

    const again = await sayNotMine('U0OWNER', 'U0BACKUP');
    expect(again.args.text).toBe(
      ":information_source: You already told Rotor's admins on 2027-01-01 that `prod/stripe/api_key` is not yours, so I did not tell them again. You get no more reminders about it until it is rotated.",
    );
    expect(postsTo('U0ADMIN')).toHaveLength(1);
    expect(postsTo('U0SEC')).toHaveLength(1);
    expect(notMineEvents()).toHaveLength(1);
    expect(snapshotTables(harness.store, TABLES)).toEqual(after);
  });

  it('the person who said it is reminded no more this cycle: the backup owner takes the 7-day warning and the due day, escalation climbs from there', async () => {
    await sayNotMine('U0OWNER', 'U0REAL');
    // The backup owner hears why: the owner said it is not theirs.
    expect(await sweepAt('2027-01-24T10:00:00Z')).toEqual([
      'U0BACKUP Escalation: prod/stripe/api_key is due for rotation in 7 days (2027-01-31)',
    ]);
    expect(await sweepAt('2027-01-31T10:00:00Z')).toEqual([
      'U0BACKUP Escalation: prod/stripe/api_key is due for rotation today (2027-01-31)',
    ]);
    expect(await sweepAt('2027-02-03T10:00:00Z')).toEqual([
      'U0PAYLEAD Escalation: prod/stripe/api_key is 3 days overdue for rotation (was due 2027-01-31)',
    ]);
    const escalation = JSON.stringify(harness.fake.callsTo('chat.postMessage').at(-1)!.args.blocks);
    expect(escalation).toContain(
      'So far: owner <@U0OWNER> said it is not theirs (reminded on 2027-01-01); backup owner <@U0BACKUP> reminded on 2027-01-24, 2027-01-31.',
    );
    expect(
      postsTo('U0OWNER').filter((call) => String(call.args.text).includes('Reminder') || String(call.args.text).includes('Escalation')),
    ).toHaveLength(1);
  });

  it("the admins' DM applies the suggested owner with one button, authorized as a change of owner; the new owner is told by DM", async () => {
    await sayNotMine('U0OWNER', 'U0REAL');
    const report = postsTo('U0ADMIN')[0] as RecordedCall;
    expect(String(report.args.text)).toContain('They say the owner is <@U0REAL>.');

    // Someone who may not change the owner is refused, and the refusal audited; nothing changes.
    const before = snapshotTables(harness.store, ['secrets']);
    const stranger = clickOnReport(report, 'U0STRANGER');
    await harness.post({ kind: 'payload', payload: stranger.payload });
    const refusal = await harness.fake.waitForResponse((response) => response.id === responseIdOf(stranger.payload.response_url));
    expect(String(refusal.body.text)).toMatch(/^:no_entry: You may not change the owner of `prod\/stripe\/api_key`\./);
    expect(snapshotTables(harness.store, ['secrets'])).toEqual(before);
    const denial = harness.store.db
      .prepare(`SELECT actor, details FROM audit_events WHERE action = 'access.denied' ORDER BY seq DESC LIMIT 1`)
      .get() as { actor: string; details: string };
    expect(denial.actor).toBe('U0STRANGER');
    expect(JSON.parse(denial.details).attempted).toBe('change_owner');

    // A forged value is refused with a reason.
    const forged = clickOnReport(report, 'U0ADMIN', '1/2027-01-31/not-a-user');
    await harness.post({ kind: 'payload', payload: forged.payload });
    expect((await harness.fake.waitForResponse((response) => response.id === responseIdOf(forged.payload.response_url))).body.text).toBe(
      ':warning: That button is not one Rotor offers; set the owner with `/secrets owner &lt;name&gt; @user`.',
    );

    const click = clickOnReport(report, 'U0ADMIN');
    await harness.post({ kind: 'payload', payload: click.payload });
    const update = await harness.fake.waitForCall('chat.update');
    expect(update.args).toMatchObject({ channel: 'D0ADMIN', ts: click.ts });
    const blocks = update.args.blocks as KnownBlock[];
    expect(blocks.some((block) => block.type === 'actions')).toBe(false);
    expect(JSON.stringify(blocks.at(-1))).toContain(
      ':white_check_mark: <@U0ADMIN> made <@U0REAL> the owner of `prod/stripe/api_key`. They were told by DM.',
    );
    expect(harness.store.inventory.get('prod/stripe/api_key')?.owner).toBe('U0REAL');
    expect(postsTo('U0REAL').map((call) => call.args.text)).toEqual([
      '<@U0ADMIN> made you the owner of `prod/stripe/api_key`. `/secrets show prod/stripe/api_key` shows what you now look after.',
    ]);
    const change = harness.store.db
      .prepare(`SELECT actor, details FROM audit_events WHERE action = 'secret.updated' ORDER BY seq DESC LIMIT 1`)
      .get() as { actor: string; details: string };
    expect(change.actor).toBe('U0ADMIN');
    expect(JSON.parse(change.details).changes.owner).toEqual({ from: 'U0OWNER', to: 'U0REAL' });

    // A second admin pressing it later learns it is done; nothing changes and nobody is told twice.
    const second = clickOnReport(postsTo('U0SEC')[0] as RecordedCall, 'U0SEC');
    await harness.post({ kind: 'payload', payload: second.payload });
    const secondUpdate = await harness.fake.waitForCall('chat.update', (call) => call.args.channel === 'D0SEC');
    expect(JSON.stringify(secondUpdate.args.blocks)).toContain('<@U0REAL> already owns `prod/stripe/api_key`; nothing changed.');
    expect(postsTo('U0REAL')).toHaveLength(1);
  });

  it('Make them the owner pressed twice at once (a double click): one change, one DM to the new owner, one to the old', async () => {
    await sayNotMine('U0OWNER', 'U0REAL');
    const report = postsTo('U0ADMIN')[0] as RecordedCall;
    const first = clickOnReport(report, 'U0ADMIN');
    const second = clickOnReport(report, 'U0ADMIN');
    await harness.untilHandled(
      () =>
        Promise.all([
          harness.post({ kind: 'payload', payload: first.payload }),
          harness.post({ kind: 'payload', payload: second.payload }),
        ]),
      2,
    );
    // Both presses are answered (each redraws the admin's DM) before the follow-up sweep tells the old owner.
    for (let waited = 0; harness.fake.callsTo('chat.update').filter((call) => call.args.channel === 'D0ADMIN').length < 2; waited += 20) {
      if (waited > 5_000) throw new Error('the two presses were not both answered');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await harness.runtime.runJob('follow-up-sweep');
    await harness.fake.waitForCall(
      'chat.postMessage',
      (call) => call.args.channel === 'U0OWNER' && String(call.args.text).includes('instead of you'),
    );
    expect(harness.store.inventory.get('prod/stripe/api_key')?.owner).toBe('U0REAL');
    expect(postsTo('U0REAL')).toHaveLength(1);
    expect(postsTo('U0OWNER').filter((call) => String(call.args.text).includes('instead of you'))).toHaveLength(1);
    const changes = harness.store.db
      .prepare(
        `SELECT count(*) FROM audit_events WHERE action = 'secret.updated' AND json_extract(details, '$.changes.owner.to') = 'U0REAL'`,
      )
      .pluck()
      .get();
    expect(changes).toBe(1);
  });

  it('a suggested owner Slack does not know is refused when applied, with a reason; nothing changes', async () => {
    await sayNotMine('U0OWNER', 'U0GHOST');
    const before = snapshotTables(harness.store, ['secrets']);
    const click = clickOnReport(postsTo('U0ADMIN')[0] as RecordedCall, 'U0ADMIN');
    await harness.post({ kind: 'payload', payload: click.payload });
    const reply = await harness.fake.waitForResponse((response) => response.id === responseIdOf(click.payload.response_url));
    expect(reply.body.text).toBe(':warning: Slack does not know U0GHOST; pick a member of this workspace.');
    expect(snapshotTables(harness.store, ['secrets'])).toEqual(before);
    expect(postsTo('U0GHOST')).toHaveLength(0);
  });
});
