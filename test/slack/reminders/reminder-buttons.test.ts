import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { importRows, parseRows } from '../../../src/import-export/import-service.js';
import { ACTION_IDS, CALLBACK_IDS, FORM_VALUE_ACTION, NOT_MINE_BLOCKS } from '../../../src/slack/ids.js';
import type { RecordedCall } from '../../fakes/fake-slack-api.js';
import { startSlackHarness, responseIdOf, type SlackHarness } from '../../support/slack-app-harness.js';
import { buttonClick, stateValue, submittedView } from '../../support/slack-payloads.js';
import { snapshotTables } from '../../support/temp-db.js';
import { sealedFor, unsealed } from '../../support/sealed-metadata.js';
import { operator, slackActor } from '../../support/actors.js';
import { sideRuntime } from '../../support/rotations.js';

/** Due 2027-01-31: on 2027-01-01 at 10:00 UTC its 30-day warning is owed to the owner. */
const INVENTORY_YAML = `
- name: prod/stripe/api_key
  owner: U0OWNER
  backup_owner: U0BACKUP
  team: payments
  consumers: [checkout]
  last_rotated: 2026-11-02
  interval_days: 90
`;

const NOW = '2027-01-01T10:00:00Z';
const REMINDER_TABLES = ['secrets', 'reminder_ledger', 'reminder_snoozes'];

function startWithOwedReminder(): Promise<SlackHarness> {
  return startSlackHarness({
    at: NOW,
    beforeStart: ({ fake, store }) => {
      for (const user of ['U0OWNER', 'U0BACKUP', 'U0ADMIN', 'U0SEC']) fake.addUser(user, 'UTC');
      const report = importRows(parseRows('yaml', INVENTORY_YAML, store), store, { actor: operator('U0ADMIN'), source: 'inventory.yml' });
      expect(report.written).toBe(true);
    },
  });
}

function reminderKey(call: RecordedCall): string {
  return (call.args.metadata as { event_payload: { keys: string } }).event_payload.keys;
}

describe('reminder DMs: the bot sends them at start-up, Snooze and Not mine over signed HTTP', () => {
  let harness: SlackHarness;
  let reminder: RecordedCall;
  let key: string;
  beforeEach(async () => {
    harness = await startWithOwedReminder();
    const posts = harness.fake.callsTo('chat.postMessage');
    expect(posts).toHaveLength(1);
    reminder = posts[0] as RecordedCall;
    key = reminderKey(reminder);
  });
  afterEach(async () => harness.close());

  const replyTo = async (responseUrl: string) =>
    (await harness.fake.waitForResponse((response) => response.id === responseIdOf(responseUrl))).body;
  const denials = () =>
    harness.store.db.prepare(`SELECT actor, details FROM audit_events WHERE action = 'access.denied' ORDER BY seq`).all() as {
      actor: string;
      details: string;
    }[];

  /** A click on the reminder DM itself, as Slack sends it: the message with its ts and blocks. */
  function clickOnReminder(actionId: string, userId: string, value = key) {
    const payload = buttonClick(harness.payloads, { actionId, value, userId, channelId: 'D0OWNER', blockId: 'reminder_actions' });
    const ts = '1798797600.000100';
    return {
      ts,
      payload: {
        ...payload,
        message: { type: 'message' as const, ts, text: String(reminder.args.text), blocks: reminder.args.blocks },
        container: { type: 'message', message_ts: ts, channel_id: 'D0OWNER', is_ephemeral: false },
      },
    };
  }

  it('the start-up sweep DMs the owner; /healthz reports the sweep and /metrics its last success', async () => {
    expect(reminder.args.channel).toBe('U0OWNER');
    expect(key).toMatch(/^\d+\/2027-01-31\/warning:30$/);
    expect(String(reminder.args.text)).toBe('Reminder: prod/stripe/api_key is due for rotation in 30 days (2027-01-31)');
    const actionIds = (
      (reminder.args.blocks as KnownBlock[]).find((block) => block.type === 'actions') as { elements: { action_id: string }[] }
    ).elements.map((element) => element.action_id);
    expect(actionIds).toEqual([ACTION_IDS.rotationOpen, 'reminder_snooze_1', 'reminder_snooze_3', 'reminder_snooze_7', ACTION_IDS.notMine]);

    const health = await fetch(`${harness.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: 'ok',
      database: 'ok',
      slack: 'ok',
      reminders: 'ok',
      lastSuccessfulSweep: '2027-01-01T10:00:00.000Z',
      followUps: 'ok',
      lastSuccessfulFollowUpSweep: '2027-01-01T10:00:00.000Z',
      evidenceArchive: {
        state: 'not_configured',
        detail: 'no evidence_archive in the policy: rotation and incident evidence is not archived',
      },
    });
    const metrics = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    expect(metrics).toContain(`rotor_reminder_last_success_timestamp_seconds ${Date.parse(NOW) / 1000}`);
    expect(metrics).toMatch(/rotor_reminders_sent_total\{kind="30d"\} 1/);
  });

  it('Start rotation on the reminder opens the rotation modal for that secret (for the owner), and is refused in it for a stranger', async () => {
    const start = await harness.untilHandled(() =>
      harness.post({ kind: 'payload', payload: clickOnReminder(ACTION_IDS.rotationOpen, 'U0OWNER', 'prod/stripe/api_key').payload }),
    );
    expect(start.status).toBe(200);
    expect(harness.fake.callsTo('views.open')).toHaveLength(1);
    const filled = harness.fake.callsTo('views.update').at(-1)?.args.view as {
      callback_id: string;
      submit?: { text: string };
      blocks: unknown[];
    };
    expect(filled.callback_id).toBe(CALLBACK_IDS.rotation);
    expect(JSON.stringify(filled.blocks)).toContain('prod/stripe/api_key');
    expect(JSON.stringify(filled.blocks)).toContain('*Preflight*');

    const before = snapshotTables(harness.store, REMINDER_TABLES);
    await harness.untilHandled(() =>
      harness.post({ kind: 'payload', payload: clickOnReminder(ACTION_IDS.rotationOpen, 'U0STRANGER', 'prod/stripe/api_key').payload }),
    );
    expect(JSON.stringify(harness.fake.callsTo('views.update').at(-1)?.args.view)).toContain('You may not rotate');
    expect(snapshotTables(harness.store, REMINDER_TABLES)).toEqual(before);
  });

  it('Snooze 3 days records the snooze and updates the DM in place to say until when', async () => {
    const click = clickOnReminder('reminder_snooze_3', 'U0OWNER');
    expect((await harness.post({ kind: 'payload', payload: click.payload })).status).toBe(200);
    const update = await harness.fake.waitForCall('chat.update');
    expect(update.args).toMatchObject({ channel: 'D0OWNER', ts: click.ts, text: 'prod/stripe/api_key: reminder snoozed until 2027-01-04' });
    const blocks = update.args.blocks as KnownBlock[];
    // The snooze buttons are gone; Start rotation stays.
    expect(
      blocks
        .filter((block) => block.type === 'actions')
        .map((block) => (block as { elements: { action_id: string }[] }).elements.map((element) => element.action_id)),
    ).toEqual([[ACTION_IDS.rotationOpen]]);
    expect(blocks.at(-1)).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: ':zzz: Snoozed by <@U0OWNER> until 2027-01-04: the reminder comes back that day (1 snooze left this cycle).',
        },
      ],
    });
    expect(harness.store.db.prepare('SELECT snoozed_by, until_date FROM reminder_snoozes').all()).toEqual([
      { snoozed_by: 'U0OWNER', until_date: '2027-01-04' },
    ]);
    const event = harness.store.db.prepare(`SELECT actor, details FROM audit_events WHERE action = 'reminder.snoozed'`).get() as {
      actor: string;
      details: string;
    };
    expect(event.actor).toBe('U0OWNER');
    expect(JSON.parse(event.details)).toMatchObject({ days: 3, until: '2027-01-04' });
  });

  it('a stranger is refused a snooze, told who may, the refusal audited, nothing else changed', async () => {
    const before = snapshotTables(harness.store, REMINDER_TABLES);
    const click = clickOnReminder('reminder_snooze_1', 'U0STRANGER');
    await harness.post({ kind: 'payload', payload: click.payload });
    expect(await replyTo(click.payload.response_url)).toMatchObject({
      response_type: 'ephemeral',
      text: ':no_entry: You may not snooze reminders for `prod/stripe/api_key`. Who may: admins (<@U0ADMIN>); security leads (<@U0SEC>); its owner (<@U0OWNER>); its backup owner (<@U0BACKUP>); its team lead (<@U0PAYLEAD>).',
    });
    expect(snapshotTables(harness.store, REMINDER_TABLES)).toEqual(before);
    expect(denials().map((row) => ({ actor: row.actor, attempted: JSON.parse(row.details).attempted }))).toEqual([
      { actor: 'U0STRANGER', attempted: 'snooze' },
    ]);
    expect(harness.fake.callsTo('chat.update')).toHaveLength(0);
  });

  it('a snooze Rotor does not offer, a forged key, and a reminder already rotated are refused with a reason; nothing changes', async () => {
    const before = snapshotTables(harness.store, REMINDER_TABLES);
    const cases: [string, string, string][] = [
      ['reminder_snooze_5', key, ':warning: Cannot snooze prod/stripe/api_key for 5 days: choose 1, 3, 7 days.'],
      ['reminder_snooze_1', '999/2027-01-31/warning:30', ':warning: This reminder is no longer known to Rotor.'],
      ['reminder_snooze_1', 'not a key', ':warning: This reminder is no longer known to Rotor.'],
    ];
    for (const [actionId, value, expected] of cases) {
      const click = clickOnReminder(actionId, 'U0OWNER', value);
      await harness.post({ kind: 'payload', payload: click.payload });
      expect((await replyTo(click.payload.response_url)).text).toBe(expected);
    }
    expect(snapshotTables(harness.store, REMINDER_TABLES)).toEqual(before);

    harness.store.inventoryService.recordRotation('prod/stripe/api_key', { rotatedAt: '2027-01-01T09:30:00Z' }, operator('U0OWNER'));
    const afterRotation = snapshotTables(harness.store, REMINDER_TABLES);
    const click = clickOnReminder('reminder_snooze_1', 'U0OWNER');
    await harness.post({ kind: 'payload', payload: click.payload });
    expect((await replyTo(click.payload.response_url)).text).toBe(
      ':warning: prod/stripe/api_key was rotated or changed since this reminder; nothing to do.',
    );
    expect(snapshotTables(harness.store, REMINDER_TABLES)).toEqual(afterRotation);
    expect(harness.fake.callsTo('chat.update')).toHaveLength(0);
  });

  it('Not mine opens a modal; its submission tells the admins and security, is audited, and confirms by DM', async () => {
    const click = clickOnReminder(ACTION_IDS.notMine, 'U0OWNER');
    await harness.post({ kind: 'payload', payload: click.payload });
    const opened = await harness.fake.waitForCall('views.open');
    expect(opened.args.trigger_id).toBe(click.payload.trigger_id);
    const modal = opened.args.view as {
      callback_id: string;
      private_metadata: string;
      blocks: { block_id?: string; element?: { type: string } }[];
    };
    expect(modal.callback_id).toBe(CALLBACK_IDS.notMine);
    expect(JSON.parse(unsealed(modal.private_metadata))).toEqual({ key });
    expect(modal.blocks.find((block) => block.block_id === NOT_MINE_BLOCKS.rightOwner)?.element?.type).toBe('users_select');

    const view = submittedView(harness.payloads, {
      callbackId: CALLBACK_IDS.notMine,
      privateMetadata: modal.private_metadata,
      values: {
        [NOT_MINE_BLOCKS.rightOwner]: { [FORM_VALUE_ACTION]: stateValue.user('U0REAL') },
        [NOT_MINE_BLOCKS.note]: { [FORM_VALUE_ACTION]: stateValue.text('  payments took it over  ') },
      },
    });
    const reply = await harness.submit({ userId: 'U0OWNER', view });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('');
    const confirmation = await harness.fake.waitForCall(
      'chat.postMessage',
      (call) => call.args.channel === 'U0OWNER' && String(call.args.text).startsWith(':ok_hand:'),
    );
    expect(confirmation.args.text).toBe(
      ":ok_hand: Thanks. I told Rotor's admins and security leads that `prod/stripe/api_key` is not yours (<@U0ADMIN>, <@U0SEC>). They will set the right owner. You get no more reminders about it until it is rotated.",
    );
    const notices = harness.fake
      .callsTo('chat.postMessage')
      .filter((call) => call.args.channel === 'U0ADMIN' || call.args.channel === 'U0SEC');
    expect(notices.map((call) => call.args.channel)).toEqual(['U0ADMIN', 'U0SEC']);
    expect(notices[0]?.args.text).toBe(
      '<@U0OWNER> says *prod/stripe/api_key* is not theirs (reminded as its owner). They say the owner is <@U0REAL>. Note: “payments took it over”. Make them the owner with the button, or set someone else with `/secrets owner prod/stripe/api_key @user`.',
    );
    const event = harness.store.db.prepare(`SELECT actor, details FROM audit_events WHERE action = 'reminder.not_mine'`).get() as {
      actor: string;
      details: string;
    };
    expect(event.actor).toBe('U0OWNER');
    expect(JSON.parse(event.details)).toMatchObject({
      suggestedOwner: 'U0REAL',
      note: 'payments took it over',
      notified: ['U0ADMIN', 'U0SEC'],
    });
  });

  it('Not mine: a stranger gets no modal; forged or bad submissions come back as field errors; nothing changes', async () => {
    const before = snapshotTables(harness.store, REMINDER_TABLES);
    const click = clickOnReminder(ACTION_IDS.notMine, 'U0STRANGER');
    await harness.post({ kind: 'payload', payload: click.payload });
    expect((await replyTo(click.payload.response_url)).text).toMatch(
      /^:no_entry: You may not report the owner of `prod\/stripe\/api_key`\. Who may: admins \(<@U0ADMIN>\)/,
    );
    expect(harness.fake.callsTo('views.open')).toHaveLength(0);

    const submit = async (
      userId: string,
      rightOwner: string | null,
      note: string | null,
      privateMetadata = sealedFor(harness, CALLBACK_IDS.notMine, JSON.stringify({ key })),
    ) => {
      const view = submittedView(harness.payloads, {
        callbackId: CALLBACK_IDS.notMine,
        privateMetadata,
        values: {
          [NOT_MINE_BLOCKS.rightOwner]: { [FORM_VALUE_ACTION]: stateValue.user(rightOwner) },
          [NOT_MINE_BLOCKS.note]: { [FORM_VALUE_ACTION]: stateValue.text(note) },
        },
      });
      const reply = await harness.submit({ userId, view });
      expect(reply.status).toBe(200);
      return reply.json() as { response_action: string; errors: Record<string, string> };
    };
    expect(await submit('U0STRANGER', 'U0REAL', null)).toEqual({
      response_action: 'errors',
      errors: {
        [NOT_MINE_BLOCKS.rightOwner]: expect.stringMatching(
          /^You may not report the owner of `prod\/stripe\/api_key`\. Who may: admins \(U0ADMIN\)/,
        ),
      },
    });
    // The second refusal came within a minute of the first: counted, not logged again (see RefusalLog).
    expect(denials().map((row) => JSON.parse(row.details).attempted)).toEqual(['not_mine']);
    expect(harness.store.db.prepare('SELECT repeats FROM refusal_windows WHERE actor = ?').pluck().get('U0STRANGER')).toBe(1);

    const afterDenials = snapshotTables(harness.store, [...REMINDER_TABLES, 'audit_events']);
    expect(await submit('U0OWNER', 'U0OWNER', null)).toEqual({
      response_action: 'errors',
      errors: { [NOT_MINE_BLOCKS.rightOwner]: 'pick the person who owns it, or leave it empty if you do not know' },
    });
    expect(await submit('U0OWNER', null, 'x'.repeat(501))).toEqual({
      response_action: 'errors',
      errors: { [NOT_MINE_BLOCKS.note]: 'keep it under 500 characters' },
    });
    expect(await submit('U0OWNER', null, null, '{}')).toEqual({
      response_action: 'errors',
      errors: { [NOT_MINE_BLOCKS.rightOwner]: 'This form lost the reminder it answers; press Not mine on the reminder again.' },
    });
    expect(snapshotTables(harness.store, [...REMINDER_TABLES, 'audit_events'])).toEqual(afterDenials);
    expect(snapshotTables(harness.store, REMINDER_TABLES)).toEqual(before);
    expect(harness.fake.callsTo('chat.postMessage')).toHaveLength(1);
  });
});

describe('a digest DM: each item menu snoozes or opens Not mine', () => {
  let harness: SlackHarness;
  beforeEach(async () => {
    harness = await startSlackHarness({
      at: NOW,
      beforeStart: ({ fake, store }) => {
        fake.addUser('U0OWNER', 'UTC');
        const yaml = ['a', 'b', 'c']
          .map((name) => `- name: prod/${name}/api_key\n  owner: U0OWNER\n  last_rotated: 2026-11-02\n  interval_days: 90\n`)
          .join('');
        expect(importRows(parseRows('yaml', yaml, store), store, { actor: operator('U0ADMIN'), source: 'inventory.yml' }).written).toBe(
          true,
        );
      },
    });
  });
  afterEach(async () => harness.close());

  function choose(value: string, userId = 'U0OWNER') {
    const payload = buttonClick(harness.payloads, { actionId: ACTION_IDS.digestItemMenu, value: '', userId, channelId: 'D0OWNER' });
    const action = {
      type: 'overflow',
      action_id: ACTION_IDS.digestItemMenu,
      block_id: 'b1',
      selected_option: { text: { type: 'plain_text', text: 'choice' }, value },
      action_ts: '1798797600.000200',
    };
    return { ...payload, actions: [action] };
  }

  it('snoozes the chosen item with an ephemeral answer, opens the modal for Not mine, refuses a forged choice', async () => {
    const [digest] = harness.fake.callsTo('chat.postMessage');
    const keys = reminderKey(digest as RecordedCall).split(' ');
    expect(keys).toHaveLength(3);
    const menuValues = (digest?.args.blocks as { accessory?: { options: { value: string }[] } }[])
      .flatMap((block) => block.accessory?.options ?? [])
      .map((option) => option.value);
    expect(menuValues).toContain(`snooze:7|${keys[0]}`);
    expect(menuValues).toContain(`not_mine|${keys[0]}`);
    expect(menuValues).toContain(`rotate|${keys[0]}`);
    const options = (digest?.args.blocks as { accessory?: { options: unknown[] } }[]).map((block) => block.accessory?.options.length ?? 0);
    expect(Math.max(...options)).toBeLessThanOrEqual(5);

    const snooze = choose(`snooze:7|${keys[0]}`);
    await harness.untilHandled(() => harness.post({ kind: 'payload', payload: snooze }));
    const reply = (await harness.fake.waitForResponse((response) => response.id === responseIdOf(snooze.response_url))).body;
    expect(reply).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(reply.text)).toMatch(/^`prod\/[abc]\/api_key`: :zzz: Snoozed by <@U0OWNER> until 2027-01-08/);
    expect(harness.store.db.prepare('SELECT COUNT(*) FROM reminder_snoozes').pluck().get()).toBe(1);

    await harness.untilHandled(() => harness.post({ kind: 'payload', payload: choose(`not_mine|${keys[1]}`) }));
    const opened = await harness.fake.waitForCall('views.open');
    expect(JSON.parse(unsealed((opened.args.view as { private_metadata: string }).private_metadata))).toEqual({ key: keys[1] });

    // Start rotation from the menu opens the rotation modal of that item's secret.
    await harness.untilHandled(() => harness.post({ kind: 'payload', payload: choose(`rotate|${keys[2]}`) }));
    const rotationModal = harness.fake.callsTo('views.update').at(-1)?.args.view as { callback_id: string; private_metadata: string };
    expect(rotationModal.callback_id).toBe(CALLBACK_IDS.rotation);
    expect(JSON.parse(unsealed(rotationModal.private_metadata)).s).toMatch(/^prod\/[abc]\/api_key$/);

    const before = snapshotTables(harness.store, REMINDER_TABLES);
    const forged = choose(`delete|${keys[2]}`);
    await harness.post({ kind: 'payload', payload: forged });
    expect((await harness.fake.waitForResponse((response) => response.id === responseIdOf(forged.response_url))).body.text).toBe(
      ':warning: That menu choice is not one Rotor offers; open the reminder again.',
    );
    expect(snapshotTables(harness.store, REMINDER_TABLES)).toEqual(before);
  });
});

describe('reminders for a secret under rotation keep coming, and say who is rotating it', () => {
  let harness: SlackHarness;
  beforeEach(async () => {
    harness = await startSlackHarness({
      at: NOW,
      beforeStart: async ({ fake, store }) => {
        for (const user of ['U0OWNER', 'U0BACKUP']) fake.addUser(user, 'UTC');
        expect(
          importRows(parseRows('yaml', INVENTORY_YAML, store), store, { actor: operator('U0ADMIN'), source: 'inventory.yml' }).written,
        ).toBe(true);
        // The backup owner started rotating it the day before: it is `rotating` when the sweep runs.
        await sideRuntime(store).rotation.start(slackActor('U0BACKUP'), 'prod/stripe/api_key', { ticket: 'PAY-1' });
      },
    });
  });
  afterEach(async () => harness.close());

  it('the 30-day warning names the person rotating it and offers to open the rotation', async () => {
    expect(harness.store.inventory.get('prod/stripe/api_key')?.lifecycle).toBe('rotating');
    const [reminder] = harness.fake.callsTo('chat.postMessage').filter((call) => call.args.channel === 'U0OWNER');
    expect(String(reminder?.args.text)).toBe('Reminder: prod/stripe/api_key is due for rotation in 30 days (2027-01-31)');
    const text = JSON.stringify(reminder?.args.blocks);
    expect(text).toContain('<@U0BACKUP> is rotating it now');
    const open = (
      (reminder?.args.blocks as KnownBlock[]).find((block) => block.type === 'actions') as {
        elements: { action_id: string; text: { text: string }; value: string }[];
      }
    ).elements[0];
    expect(open).toMatchObject({ action_id: ACTION_IDS.rotationOpen, text: { text: 'Open the rotation' }, value: 'prod/stripe/api_key' });
  });
});
