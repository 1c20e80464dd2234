import type { GroupMembers } from '../access/role-members.js';
import { DateTime } from 'luxon';
import type { EscalationLevel, Policy } from '../config/policy.js';
import { daysUntil } from '../inventory/schedule.js';
import type { Secret } from '../inventory/secret.js';
import { dueDayOf, earliestNeed, isSnoozable, type RotationNeed } from '../rotation-needs/rotation-need.js';
import { ladderLevels, rungsOf, type LadderLevel, type Rung } from './escalation-ladder.js';
import { treatmentOf } from './reminder-treatment.js';
import type { LedgerEntry, LevelHistory, NotMine, OwedReminder, ReminderKind, ReminderSubject, Snooze } from './reminder.js';

export interface PlannerCandidate<S extends ReminderSubject = Secret> {
  secret: S;
  /** Ledger rows of the secret's current cycle. */
  ledger: readonly LedgerEntry[];
  snoozes: readonly Snooze[];
  /** Who said, in this cycle, that the secret is not theirs: they are reminded no more in it. */
  notMine?: readonly NotMine[];
  /** When the secret entered its current lifecycle (ISO instant), where the audit log knows. */
  lifecycleSince?: string | null;
  /** Who holds the secret's open rotation, if one is open. */
  rotationHeldBy?: string | null;
  /** Open rotation needs (a person left, a break-glass use, a release): the earliest sets the due date when it comes first. */
  needs?: readonly RotationNeed[];
}

/** What the planner knows about people; filled from users.info by the caller. */
export interface PeopleDirectory {
  /** IANA zone of the user; the caller decides what an unknown user gets. */
  zoneOf(user: string): string;
  isGone(user: string): boolean;
}

interface Stage {
  kind: ReminderKind;
  date: string;
  rung: Rung;
}

/**
 * The reminders owed at `now`: pure, so a preview, a sweep and a test all get the same answer.
 *
 * Rule order, per secret and cycle:
 * 1. The secret's treatment (its lifecycle) gives the due date the reminders count from: the next
 *    rotation, or for a compromised secret the day it was marked, if that came first; an open
 *    rotation need due earlier (src/rotation-needs) brings it forward, in the same cycle.
 * 2. The cycle's stages form a timeline: each warning offset and the due day for the owner, then
 *    one escalation step per rung up the ladder, each `escalate_every_days` after the step before
 *    it was delivered (see mainTrack); snooze follow-ups form a second track. Whoever said "not
 *    mine" this cycle is off the ladder, and their snoozes with them: the next level takes over.
 * 3. Only the latest stage whose delivery instant (its day at the policy hour in the recipient's
 *    zone) has passed is owed: a 7-day warning supersedes an unsent 30-day one, so a sweep after
 *    downtime sends one reminder, not every missed one.
 * 4. Nothing is owed when the ledger already holds that stage or any later one of its track
 *    (sent or being sent): a clock moved backwards never re-sends an earlier stage.
 * 5. Once the due day has come, warnings are obsolete: a secret found due today (never rotated,
 *    or imported late) waits for the due-day notice rather than being told it is due "in 7 days".
 */
export function planReminders<S extends ReminderSubject = Secret>(
  candidates: readonly PlannerCandidate<S>[],
  now: DateTime,
  policy: Policy,
  people: PeopleDirectory,
  groups: GroupMembers | null = null,
): OwedReminder<S>[] {
  const owed: OwedReminder<S>[] = [];
  // Many secrets share due dates and recipients' zones: compute each delivery instant (and its text) once.
  const instants = new Map<string, Instant>();
  const nowMillis = now.toMillis();
  const calendars = new Map<string, CycleCalendar>();
  const memoPeople: Memo = {
    calendar(due) {
      let calendar = calendars.get(due);
      if (!calendar) {
        calendar = cycleCalendar(due, now, policy);
        calendars.set(due, calendar);
      }
      return calendar;
    },
    zoneOf: (user) => people.zoneOf(user),
    isGone: (user) => people.isGone(user),
    instant(stage) {
      const zone = people.zoneOf(stage.rung.user);
      const cacheKey = `${stage.date}|${zone}`;
      let instant = instants.get(cacheKey);
      if (!instant) {
        const at = deliveryInstant(stage.date, zone, policy);
        instant = { iso: at.toISO() as string, passed: at.toMillis() <= nowMillis };
        instants.set(cacheKey, instant);
      }
      return instant;
    },
  };
  for (const candidate of candidates) {
    const reminder = planOne(candidate, policy, memoPeople, groups);
    if (reminder) owed.push(reminder);
  }
  return owed;
}

interface CycleCalendar {
  /** Trigger date of each warning offset, in policy order. */
  warningDates: string[];
  daysUntilDue: number;
}

/** A stage's delivery instant, and whether it has come. */
interface Instant {
  iso: string;
  passed: boolean;
}

type Memo = PeopleDirectory & { instant(stage: Stage): Instant; calendar(due: string): CycleCalendar };

function cycleCalendar(due: string, now: DateTime, policy: Policy): CycleCalendar {
  const dueDay = DateTime.fromISO(due, { zone: 'utc' });
  return {
    warningDates: policy.reminders.offsetsDays.map((offset) => dueDay.minus({ days: offset }).toISODate() as string),
    daysUntilDue: daysUntil(due, now),
  };
}

function planOne<S extends ReminderSubject>(
  candidate: PlannerCandidate<S>,
  policy: Policy,
  people: Memo,
  groups: GroupMembers | null,
): OwedReminder<S> | null {
  const { secret } = candidate;
  const treatment = treatmentOf(secret, candidate.lifecycleSince ?? null, candidate.rotationHeldBy ?? null);
  if (!treatment) return null;
  const saidNotMine = new Set((candidate.notMine ?? []).map((answer) => answer.saidBy));
  const levels = ladderLevels(secret, policy, (user) => people.isGone(user), saidNotMine, groups);
  const ladder = rungsOf(levels);
  if (!ladder[0]) return null;
  const needs = candidate.needs ?? [];
  const need = earliestNeed(needs);
  const needFirst = need !== null && dueDayOf(need) < treatment.dueDate;
  const due = needFirst ? dueDayOf(need) : treatment.dueDate;
  const calendar = people.calendar(due);
  const live = candidate.ledger.filter((entry) => entry.state !== 'released');
  const main = mainTrack(due, calendar, levels, live, candidate.notMine ?? [], policy);
  const snoozes = candidate.snoozes.filter((snooze) => !saidNotMine.has(snooze.snoozedBy));
  const current = currentStage(main, live, people) ?? currentStage(snoozeTrack(snoozes, ladder, main, live), live, people);
  if (!current) return null;
  return {
    key: { secretId: secret.id, cycle: secret.nextRotation, kind: current.kind },
    secret,
    treatment,
    recipient: current.rung.user,
    level: current.rung.level,
    deliverAt: people.instant(current).iso,
    daysUntilDue: calendar.daysUntilDue,
    lowerLevels: lowerLevels(levels, current.rung.level, candidate),
    snoozesUsed: candidate.snoozes.length,
    need: needFirst ? need : null,
    snoozable: needs.every((open) => isSnoozable(open.reason)),
  };
}

/**
 * The latest stage whose delivery instant has passed, unless the ledger holds it or a later
 * stage of the same track already (sent or being sent).
 */
function currentStage(stages: readonly Stage[], live: readonly LedgerEntry[], people: Memo): Stage | null {
  let currentIndex = -1;
  stages.forEach((stage, index) => {
    if (people.instant(stage).passed) currentIndex = index;
  });
  const current = stages[currentIndex];
  if (!current) return null;
  const taken = new Set(live.map((entry) => entry.kind));
  return stages.slice(currentIndex).some((stage) => taken.has(stage.kind)) ? null : current;
}

/**
 * Warnings and the due-day notice go to the first rung (the owner, unless nobody fills that
 * level); each escalation step reaches the next rung above whoever got the step before,
 * `escalate_every_days` after it was delivered, never earlier than that many days past the due
 * date. So the owner always hears first, even about a secret found long overdue, and escalation
 * climbs one level at a time however long Rotor was down. A person who said "not mine" is not
 * waited for: the level above them is reached from the day they said it. Climbing from the
 * previous recipient's level (not counting rungs) means that a person who drops off the ladder
 * after being reminded (not mine, gone from Slack) hands over to the very next level.
 */
function mainTrack(
  due: string,
  calendar: CycleCalendar,
  levels: readonly LadderLevel[],
  live: readonly LedgerEntry[],
  notMine: readonly NotMine[],
  policy: Policy,
): Stage[] {
  const first = rungsOf(levels)[0] as Rung;
  const stages: Stage[] = [];
  // Once the due day has come, warnings are obsolete (rule 4).
  if (calendar.daysUntilDue > 0) {
    policy.reminders.offsetsDays.forEach((offset, index) => {
      stages.push({ kind: `warning:${offset}`, date: calendar.warningDates[index] as string, rung: first });
    });
  }
  stages.push({ kind: 'due', date: due, rung: first });
  const sent = new Map(
    live
      .filter((entry) => entry.sentAt !== null)
      .map((entry) => [entry.kind, { on: (entry.sentAt as string).slice(0, 10), recipient: entry.recipient }]),
  );
  const declinedOn = new Map(notMine.map((answer) => [answer.saidBy, answer.at.slice(0, 10)]));
  let before: { kind: ReminderKind; date: string } = { kind: 'due', date: due };
  for (let step = 1; ; step += 1) {
    const delivered = sent.get(before.kind);
    if (delivered === undefined) break;
    const rung = rungAbove(levels, delivered.recipient);
    if (!rung) break;
    const declined = declinedOn.get(delivered.recipient);
    const date = declined
      ? latest(declined, before.date)
      : (DateTime.fromISO(latest(delivered.on, before.date), { zone: 'utc' })
          .plus({ days: policy.reminders.escalateEveryDays })
          .toISODate() as string);
    const kind = `overdue:${step}` as const;
    stages.push({ kind, date, rung });
    before = { kind, date };
  }
  return stages.sort((a, b) => a.date.localeCompare(b.date));
}

/** The first rung above `user`'s level in the escalation order; the first rung when they hold no level now (an owner replaced mid-cycle). */
function rungAbove(levels: readonly LadderLevel[], user: string): Rung | null {
  const at = levels.findIndex((level) => level.user === user);
  const next = levels.slice(at + 1).find((level) => level.skipped === null && level.user !== null);
  return next ? { level: next.level, user: next.user as string } : null;
}

function latest(a: string, b: string): string {
  return a > b ? a : b;
}

/**
 * Follow-ups the snoozes asked for, to whoever snoozed. A regular reminder given on or after a
 * follow-up's day supersedes it.
 */
function snoozeTrack(snoozes: readonly Snooze[], ladder: readonly Rung[], main: readonly Stage[], live: readonly LedgerEntry[]): Stage[] {
  const taken = new Set(live.map((entry) => entry.kind));
  const latestRegular = main
    .filter((stage) => taken.has(stage.kind))
    .reduce((latest, stage) => (stage.date > latest ? stage.date : latest), '');
  return snoozes
    .filter((snooze) => snooze.untilDate > latestRegular)
    .map((snooze) => ({
      kind: `snooze:${snooze.seq}` as const,
      date: snooze.untilDate,
      rung: ladder.find((candidate) => candidate.user === snooze.snoozedBy) ?? { level: (ladder[0] as Rung).level, user: snooze.snoozedBy },
    }))
    .sort((a, b) => a.date.localeCompare(b.date));
}

/** The escalation order's levels before the recipient's, each with who fills it and what they were sent. */
function lowerLevels(
  levels: readonly LadderLevel[],
  recipientLevel: EscalationLevel,
  candidate: PlannerCandidate<ReminderSubject>,
): LevelHistory[] {
  const end = levels.findIndex((level) => level.level === recipientLevel);
  return levels.slice(0, Math.max(0, end)).map((level) => {
    const remindedOn = candidate.ledger
      .filter((entry) => entry.state === 'sent' && entry.sentAt !== null && entry.recipient === level.user)
      .map((entry) => (entry.sentAt as string).slice(0, 10))
      .sort();
    const snoozes = candidate.snoozes.filter((snooze) => snooze.snoozedBy === level.user);
    return {
      level: level.level,
      user: level.user,
      skipped: level.skipped,
      remindedOn: [...new Set(remindedOn)],
      snoozedUntil: snoozes.length > 0 ? (snoozes[snoozes.length - 1] as Snooze).untilDate : null,
    };
  });
}

function deliveryInstant(date: string, zone: string, policy: Policy): DateTime {
  const local = DateTime.fromISO(date, { zone });
  const zoned = local.isValid ? local : DateTime.fromISO(date, { zone: 'utc' });
  return zoned.set({ hour: policy.reminders.localHour, minute: 0, second: 0, millisecond: 0 }).toUTC();
}
