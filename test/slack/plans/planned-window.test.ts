import type { ModalView } from '@slack/types';
import type { ViewOutput } from '@slack/bolt';
import { randomBytes } from 'node:crypto';
import type { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toUtcDate } from '../../../src/inventory/schedule.js';
import { ACTION_IDS, FORM_VALUE_ACTION, WINDOW_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import {
  button,
  echoed,
  followUpsSettled,
  modal,
  postsTo,
  press,
  pushedSince,
  rotationRecord,
  rotorCli,
  slashRotate,
  submitReason,
  submitTicket,
  textOf,
  waitForPosts,
} from '../../support/rotation-slack.js';
import { startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';
import { stateValue } from '../../support/slack-payloads.js';
import { snapshotTables } from '../../support/temp-db.js';

const SECRET = 'prod/app/db';
const OTHER = 'prod/app/cache';
const ZONE = 'Europe/Berlin';
const POLICY = `
environments: [prod, staging, dev]
channels:
  announce: C0ANNOUNCE
  incident: [C0INCIDENT]
  consumers: { checkout: C0CHECKOUT }
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC]
  devops_leads: [U0OPS]
approvals: {}
windows:
  lead_time_hours: 24
  production:
    environments: [prod]
    days: [mon, tue, wed, thu, fri]
    hours: "08:00-18:00"
    time_zone: ${ZONE}
`;
const TABLES = ['rotation_windows', 'follow_ups', 'audit_events', 'rotations'];

/** The first weekday 10:00 in Berlin at least `days` after `now`: inside the policy's production hours, whatever today is. */
function allowedStart(now: DateTime, days: number): DateTime {
  let day = now.setZone(ZONE).plus({ days }).startOf('day').set({ hour: 10 });
  while (day.weekday > 5 || day.toMillis() < now.plus({ days }).toMillis()) day = day.plus({ days: 1 }).set({ hour: 10 });
  return day.toUTC();
}

/** Issue 23 item 4: a rotation planned for a window, with notices, and its irreversible steps locked outside it. */
describe('a planned rotation window, through Slack', () => {
  let harness: SlackHarness;
  beforeEach(async () => {
    harness = await startSlackHarness({
      policy: POLICY,
      env: { ROTOR_AUDIT_KEY: randomBytes(32).toString('hex') },
      beforeStart: ({ fake, store }) => {
        for (const user of ['U0OWNER', 'U0SEC', 'U0OPS', 'U0ADMIN']) fake.addUser(user);
        const lastRotated = toUtcDate(store.clock.now().minus({ days: 80 }));
        for (const name of [SECRET, OTHER])
          store.inventoryService.create(
            { name, type: 'database', owner: 'U0OWNER', consumers: ['checkout'], lastRotated, intervalDays: 90 },
            operator(),
            'test',
          );
      },
    });
  });
  afterEach(async () => harness.close());

  /** `/rotate name`, a ticket, Start: the rotation modal's view id. */
  const startRotation = async (name: string, userId = 'U0OWNER'): Promise<string> => {
    const { viewId } = await slashRotate(harness, userId, name);
    expect(viewId).not.toBeNull();
    await submitTicket(harness, userId, viewId as string, `CHG-${randomBytes(2).readUInt16BE()}`);
    expect(button(modal(harness, viewId as string), ACTION_IDS.rotationPlanWindow), textOf(modal(harness, viewId as string))).toBeDefined();
    return viewId as string;
  };

  /** Presses "Plan a window…" and submits the form; Slack's answer to the submission (errors) or null. */
  const planWindow = async (viewId: string, start: DateTime, minutes: string, impact: string): Promise<Record<string, unknown> | null> => {
    const since = harness.fake.calls.length;
    await press(harness, 'U0OWNER', viewId, ACTION_IDS.rotationPlanWindow);
    const form = pushedSince(harness, since);
    const values: ViewOutput['state']['values'] = {
      [WINDOW_BLOCKS.start]: { [FORM_VALUE_ACTION]: { type: 'datetimepicker', selected_date_time: Math.floor(start.toSeconds()) } },
      [WINDOW_BLOCKS.duration]: { [FORM_VALUE_ACTION]: stateValue.number(minutes) },
      [WINDOW_BLOCKS.impact]: { [FORM_VALUE_ACTION]: stateValue.text(impact) },
    };
    const submitted = echoed(harness, `V${randomBytes(4).toString('hex').toUpperCase()}`, form as ModalView, values);
    const reply = await harness.untilHandled(() => harness.submit({ userId: 'U0OWNER', view: submitted }));
    return reply.text === '' ? null : (reply.json() as Record<string, unknown>);
  };

  const notices = (channel: string, words: RegExp) => postsTo(harness, channel).filter((call) => words.test(String(call.args.text)));

  /** Ticks the checklist up to its first irreversible step; that step's id. */
  const tickUpToIrreversible = async (viewId: string, rotationId: number): Promise<string> => {
    const gated = rotationRecord(harness, rotationId).steps.find((step) => step.gate === 'approval');
    expect(gated, 'the checklist has an irreversible step').toBeDefined();
    for (;;) {
      const tick = button(modal(harness, viewId), ACTION_IDS.rotationTickStep);
      if (!tick || tick.value === gated?.id) break;
      await press(harness, 'U0OWNER', viewId, ACTION_IDS.rotationTickStep);
    }
    return gated?.id as string;
  };

  it('tells the consumers at planning, 24 h before and at the start, exactly once across restarts; the irreversible step is refused outside the window', async () => {
    const now = harness.store.clock.now();
    const start = allowedStart(now, 3);
    const viewId = await startRotation(SECRET);
    const rotationId = Number(rotationRecord(harness, 1).rotation.id);
    expect(await planWindow(viewId, start, '60', '15 min, no impact expected')).toBeNull();

    // At planning: the consumers' channel and the announcement channel.
    const [planned] = await waitForPosts(harness, 'C0CHECKOUT', /is planned/);
    expect(String(planned?.args.text)).toContain('15 min, no impact expected');
    expect(String(planned?.args.text)).toContain(start.toFormat('yyyy-LL-dd HH:mm'));
    await waitForPosts(harness, 'C0ANNOUNCE', /is planned/);
    expect(textOf(modal(harness, viewId))).toContain('Planned window');

    // Outside the window the irreversible step is refused, and stays pending.
    const stepId = await tickUpToIrreversible(viewId, rotationId);
    await press(harness, 'U0OWNER', viewId, ACTION_IDS.rotationTickStep);
    expect(textOf(modal(harness, viewId))).toContain('stays locked until the window');
    expect(rotationRecord(harness, rotationId).steps.find((step) => step.id === stepId)?.state).toBe('pending');

    // The calendar carries it as a timed event with the owner as attendee.
    const calendar = (await rotorCli(harness, 'calendar', '--at', now.toISO() as string)).stdout.replace(/\r\n /g, '');
    expect(calendar).toContain(`SUMMARY:Rotation window — ${SECRET}`);
    expect(calendar).toContain(`DTSTART:${start.toFormat("yyyyLLdd'T'HHmm")}00Z`);
    expect(calendar).toMatch(/^ATTENDEE;.*CN="?U0OWNER"?:urn:x-slack-member:U0OWNER$/m);

    // 24 h before: one reminder, and none again after a restart.
    harness.store.clock.set(start.minus({ hours: 24 }).plus({ minutes: 1 }));
    await harness.runtime.runJob('follow-up-sweep');
    await followUpsSettled(harness);
    expect(notices('C0CHECKOUT', /coming up/)).toHaveLength(1);
    await harness.restart();
    await harness.runtime.runJob('follow-up-sweep');
    await followUpsSettled(harness);
    expect(notices('C0CHECKOUT', /coming up/)).toHaveLength(1);
    expect(notices('C0CHECKOUT', /has started/)).toHaveLength(0);

    // At the start: one notice, and none again after a restart.
    harness.store.clock.set(start);
    await harness.runtime.runJob('follow-up-sweep');
    await followUpsSettled(harness);
    await harness.restart();
    await harness.runtime.runJob('follow-up-sweep');
    await followUpsSettled(harness);
    expect(notices('C0CHECKOUT', /has started/)).toHaveLength(1);
    expect(notices('C0CHECKOUT', /is planned/)).toHaveLength(1);
    expect(notices('C0ANNOUNCE', /has started/)).toHaveLength(1);

    // Inside the window the same step may be done.
    const { viewId: again } = await slashRotate(harness, 'U0OWNER', SECRET);
    await press(harness, 'U0OWNER', again as string, ACTION_IDS.rotationTickStep);
    expect(rotationRecord(harness, rotationId).steps.find((step) => step.id === stepId)?.state).toBe('done');
  });

  it('an approver overrides the window with a reason (audited), and the irreversible step may be done before it', async () => {
    const viewId = await startRotation(SECRET);
    expect(await planWindow(viewId, allowedStart(harness.store.clock.now(), 3), '30', 'a short blip on checkout')).toBeNull();
    const stepId = await tickUpToIrreversible(viewId, 1);

    const { viewId: approverView } = await slashRotate(harness, 'U0SEC', SECRET);
    const since = harness.fake.calls.length;
    await press(harness, 'U0SEC', approverView as string, ACTION_IDS.rotationOverrideWindow);
    expect(await submitReason(harness, 'U0SEC', pushedSince(harness, since), 'the vendor asked for it today')).toBeNull();
    const event = harness.store.db.prepare(`SELECT actor, details FROM audit_events WHERE action = 'rotation.window_overridden'`).get() as {
      actor: string;
      details: string;
    };
    expect(event.actor).toBe('U0SEC');
    expect(JSON.parse(event.details)).toMatchObject({ rotation: 1, reason: 'the vendor asked for it today' });

    await press(harness, 'U0OWNER', viewId, ACTION_IDS.rotationRefresh);
    await press(harness, 'U0OWNER', viewId, ACTION_IDS.rotationTickStep);
    expect(rotationRecord(harness, 1).steps.find((step) => step.id === stepId)?.state).toBe('done');
  });

  it('a window in the past, overlapping another, or outside production hours is refused in the form, and nothing changes', async () => {
    const now = harness.store.clock.now();
    const start = allowedStart(now, 3);
    const first = await startRotation(SECRET);
    expect(await planWindow(first, start, '60', 'no impact expected')).toBeNull();
    await followUpsSettled(harness);
    const second = await startRotation(OTHER);
    const before = snapshotTables(harness.store, TABLES);

    const past = await planWindow(second, now.minus({ hours: 1 }), '60', 'no impact expected');
    expect(past).toMatchObject({ response_action: 'errors' });
    expect(String((past?.errors as Record<string, string>)[WINDOW_BLOCKS.start])).toContain('is in the past');

    const overlap = await planWindow(second, start.plus({ minutes: 30 }), '60', 'no impact expected');
    expect(String((overlap?.errors as Record<string, string>)[WINDOW_BLOCKS.start])).toContain(`overlaps the window planned for ${SECRET}`);

    const evening = start.setZone(ZONE).set({ hour: 20 }).toUTC();
    const late = await planWindow(second, evening, '60', 'no impact expected');
    expect(String((late?.errors as Record<string, string>)[WINDOW_BLOCKS.start])).toContain('Production windows may run only on');

    const weekend = start
      .setZone(ZONE)
      .plus({ days: 6 - start.setZone(ZONE).weekday })
      .set({ hour: 10 })
      .toUTC();
    const saturday = await planWindow(second, weekend, '60', 'no impact expected');
    expect(String((saturday?.errors as Record<string, string>)[WINDOW_BLOCKS.start])).toContain('is a Saturday');

    expect(snapshotTables(harness.store, TABLES)).toEqual(before);
  });
});
