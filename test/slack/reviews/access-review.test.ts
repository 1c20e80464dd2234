import type { KnownBlock } from '@slack/types';
import type { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../../src/slack/views/block-kit-limits.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import type { RecordedCall } from '../../fakes/fake-slack-api.js';
import { operator } from '../../support/actors.js';
import { rotor } from '../../support/cli.js';
import { responseIdOf, startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';
import { buttonClick } from '../../support/slack-payloads.js';
import { snapshotTables } from '../../support/temp-db.js';

const POLICY = `
channels:
  announce: C0ANNOUNCE01
  security: C0SECURITY01
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
reviews:
  access_review_days: 10
`;

const REVIEW_TABLES = ['secrets', 'reviews', 'access_review_items', 'follow_ups'];

/** The first Monday-to-Friday day of the quarter after `from`, at 09:00 UTC: derived from the test's clock, never a literal date. */
function nextQuarterStart(from: DateTime): DateTime {
  let day = from.toUTC().startOf('quarter').plus({ quarters: 1 });
  while (day.weekday > 5) day = day.plus({ days: 1 });
  return day.set({ hour: 9 });
}

describe('the quarterly access review, driven through Slack with an injected clock', () => {
  let harness: SlackHarness;
  let quarterStart: DateTime;
  let period: string;

  beforeEach(async () => {
    harness = await startSlackHarness({
      policy: POLICY,
      beforeStart: ({ fake, store }) => {
        for (const user of ['U0OWNA', 'U0OWNB', 'U0SEC', 'U0ADMIN', 'U0READER']) fake.addUser(user, 'UTC');
        const secret = (name: string, owner: string, access: string[] = []) =>
          store.inventoryService.create({ name, type: 'database', owner, access, intervalDays: 90 }, operator('U0ADMIN'), 'test');
        secret('prod/app/db', 'U0OWNA', ['U0READER']);
        secret('prod/app/cache', 'U0OWNA');
        secret('staging/app/api_key', 'U0OWNB');
      },
    });
    quarterStart = nextQuarterStart(harness.store.clock.now());
    period = `${quarterStart.year}-Q${quarterStart.quarter}`;
    harness.store.clock.set(quarterStart);
  });
  afterEach(async () => harness.close());

  /** The access-review DMs to a person (reminders and other notices aside). */
  const dmsTo = (user: string) =>
    harness.fake
      .callsTo('chat.postMessage')
      .filter((call) => call.args.channel === user && String(call.args.text).startsWith('Access review'));
  const postsTo = (channel: string) => harness.fake.callsTo('chat.postMessage').filter((call) => call.args.channel === channel);
  const blocksOf = (call: RecordedCall) => call.args.blocks as KnownBlock[];
  const buttonsOf = (call: RecordedCall, actionId: string) =>
    blocksOf(call).flatMap((block) =>
      block.type === 'actions' ? block.elements.filter((element) => 'action_id' in element && element.action_id === actionId) : [],
    ) as { value: string }[];
  const itemIdOf = (name: string) =>
    harness.store.db.prepare('SELECT id FROM access_review_items WHERE secret_name = ?').pluck().get(name) as number;
  const clickOn = (call: RecordedCall, actionId: string, itemName: string, userId: string) => {
    const value = `access-review:${itemIdOf(itemName)}`;
    const payload = buttonClick(harness.payloads, { actionId, value, userId, channelId: String(call.args.channel) });
    const ts = String((harness.fake.messages.find((message) => message.channel === call.args.channel) ?? { ts: '1.1' }).ts);
    return harness.untilHandled(() =>
      harness
        .post({
          kind: 'payload',
          payload: {
            ...payload,
            message: { type: 'message' as const, ts, text: String(call.args.text), blocks: call.args.blocks },
            container: { type: 'message', message_ts: ts, channel_id: String(call.args.channel), is_ephemeral: false },
          },
        })
        .then(() => payload.response_url),
    );
  };

  it('asks each owner once, records the answers, refuses anyone else, escalates the silent owner once, and `rotor reviews show` says so', async () => {
    await harness.runtime.runJob('reviews');

    // One DM per owner, each a bounded message with a Confirm and a Change button per secret.
    const [askA] = dmsTo('U0OWNA');
    const [askB] = dmsTo('U0OWNB');
    expect(dmsTo('U0OWNA')).toHaveLength(1);
    expect(dmsTo('U0OWNB')).toHaveLength(1);
    if (!askA || !askB) throw new Error('each owner is asked');
    for (const ask of [askA, askB]) expect(blocksOf(ask).length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    expect(buttonsOf(askA, ACTION_IDS.accessReviewConfirm)).toHaveLength(2);
    expect(buttonsOf(askB, ACTION_IDS.accessReviewConfirm)).toHaveLength(1);
    expect(JSON.stringify(askA.args.blocks)).toContain('<@U0READER>');
    // The quarterly review (and in January the annual one) went to the announcement channel.
    expect(
      postsTo('C0ANNOUNCE01')
        .map((call) => String(call.args.text))
        .join('\n'),
    ).toContain(`Quarterly secrets review ${period}`);

    // Someone who is not the owner: a clear refusal, nothing recorded.
    const before = snapshotTables(harness.store, REVIEW_TABLES);
    const refusedUrl = await clickOn(askA, ACTION_IDS.accessReviewConfirm, 'prod/app/db', 'U0OWNB');
    const refusal = await harness.fake.waitForResponse((response) => response.id === responseIdOf(refusedUrl));
    expect(String(refusal.body.text)).toMatch(
      /Only the owner of prod\/app\/db \(U0OWNA\) can answer its access review: nothing was recorded/,
    );
    expect(snapshotTables(harness.store, REVIEW_TABLES)).toEqual(before);

    // The owner confirms one and changes the other (the edit form opens).
    await clickOn(askA, ACTION_IDS.accessReviewConfirm, 'prod/app/db', 'U0OWNA');
    await clickOn(askA, ACTION_IDS.accessReviewChange, 'prod/app/cache', 'U0OWNA');
    expect(harness.fake.callsTo('views.open')).toHaveLength(1);
    const answers = harness.store.db
      .prepare(`SELECT secret, actor, details FROM audit_events WHERE action = 'review.access_answered' ORDER BY seq`)
      .all() as { secret: string; actor: string; details: string }[];
    expect(answers.map((row) => [row.secret, row.actor, JSON.parse(row.details).answer])).toEqual([
      ['prod/app/db', 'U0OWNA', 'confirmed'],
      ['prod/app/cache', 'U0OWNA', 'change'],
    ]);
    const updated = harness.fake.callsTo('chat.update').at(-1);
    expect(JSON.stringify(updated?.args.blocks)).toContain('Confirmed by <@U0OWNA>');

    // Past the policy's days: the owner who did not answer is escalated to security, once.
    harness.store.clock.set(quarterStart.plus({ days: 10, minutes: 1 }));
    await harness.runtime.runJob('follow-up-sweep');
    harness.store.clock.set(quarterStart.plus({ days: 20 }));
    await harness.runtime.runJob('follow-up-sweep');
    await harness.runtime.runJob('reviews');
    const escalations = postsTo('C0SECURITY01');
    expect(escalations).toHaveLength(1);
    expect(String(escalations[0]?.args.text)).toContain('U0OWNB');
    expect(JSON.stringify(escalations[0]?.args.blocks)).toContain('staging/app/api_key');
    expect(JSON.stringify(escalations[0]?.args.blocks)).not.toContain('prod/app/db');

    // A restart asks nobody again.
    await harness.restart();
    await harness.runtime.runJob('reviews');
    await harness.runtime.runJob('follow-up-sweep');
    expect(dmsTo('U0OWNA')).toHaveLength(1);
    expect(dmsTo('U0OWNB')).toHaveLength(1);
    expect(postsTo('C0SECURITY01')).toHaveLength(1);

    const shown = await rotor(harness.store.path, 'reviews', 'show', `access ${period}`);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`access ${period}`);
    expect(shown.stdout).toContain('3 secrets: 1 confirmed, 1 changed, 1 unanswered, 1 escalated');
    expect(shown.stdout).toMatch(/prod\/app\/db\s+owner U0OWNA\s+readers: U0READER\s+confirmed by U0OWNA/);
    expect(shown.stdout).toMatch(/staging\/app\/api_key\s+owner U0OWNB\s+readers: nobody else\s+unanswered\s+escalated/);
    const listed = await rotor(harness.store.path, 'reviews', 'list');
    expect(listed.stdout).toContain(`quarterly  ${period}`);
    const events = harness.store.db.prepare(`SELECT action FROM audit_events WHERE action LIKE 'review.%'`).pluck().all();
    expect(events.filter((action) => action === 'review.access_escalated')).toHaveLength(1);
    if (quarterStart.month === 1) {
      const annual = postsTo('C0ANNOUNCE01').filter((call) =>
        String(call.args.text).startsWith(`Annual secrets review ${quarterStart.year - 1}:`),
      );
      expect(annual).toHaveLength(1);
      expect(String(annual[0]?.args.text)).toMatch(/: \d+ rotations, \d+ missed$/);
    }

    // The next month: the monthly review (the four checks), once however often the job runs.
    let nextMonth = quarterStart.startOf('month').plus({ months: 1 });
    while (nextMonth.weekday > 5) nextMonth = nextMonth.plus({ days: 1 });
    harness.store.clock.set(nextMonth.plus({ hours: 9 }));
    await harness.runtime.runJob('reviews');
    await harness.runtime.runJob('reviews');
    const monthly = postsTo('C0ANNOUNCE01').filter((call) => String(call.args.text).startsWith('Monthly secrets review'));
    expect(monthly).toHaveLength(1);
    const monthlyBlocks = JSON.stringify(monthly[0]?.args.blocks);
    for (const check of ['No owner', 'No backup owner', 'Never rotated', 'Overdue', 'Readers to review'])
      expect(monthlyBlocks).toContain(check);
    expect(monthlyBlocks).toContain('prod/app/db');
  });
});
