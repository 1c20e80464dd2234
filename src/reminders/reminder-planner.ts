import { DateTime } from 'luxon';
import type { Policy } from '../config/policy.js';
import { daysUntil } from '../inventory/schedule.js';
import type { Secret } from '../inventory/secret.js';
import { escalationLadder, type Rung } from './escalation-ladder.js';
import type { EarlierReminder, LedgerEntry, OwedReminder, ReminderKind, Snooze } from './reminder.js';

export interface PlannerCandidate {
  secret: Secret;
  /** Ledger rows of the secret's current cycle. */
  ledger: readonly LedgerEntry[];
  snoozes: readonly Snooze[];
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
  /** Within one day: a snooze follow-up first, so a regular reminder that day supersedes it. */
  rankInDay: number;
}

/**
 * The reminders owed at `now`: pure, so a preview, a sweep and a test all get the same answer.
 *
 * Rule order, per secret and cycle:
 * 1. The cycle's stages form a timeline: each warning offset, the due day, one overdue step per
 *    escalation interval up the ladder (one rung further each step), and any snooze follow-ups.
 * 2. Only the latest stage whose delivery instant (its day at the policy hour in the recipient's
 *    zone) has passed is owed: a 7-day warning supersedes an unsent 30-day one, so a sweep after
 *    downtime sends one reminder, not every missed one.
 * 3. Nothing is owed when the ledger already holds that stage or any later one (sent or being
 *    sent): a clock moved backwards never re-sends an earlier stage.
 * 4. Once the due day has come, warnings are obsolete: a secret found due today (never rotated,
 *    or imported late) waits for the due-day notice rather than being told it is due "in 7 days".
 */
export function planReminders(candidates: readonly PlannerCandidate[], now: DateTime, policy: Policy, people: PeopleDirectory): OwedReminder[] {
  const owed: OwedReminder[] = [];
  // Many secrets share due dates and recipients' zones: compute each delivery instant once.
  const instants = new Map<string, DateTime>();
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
        instant = deliveryInstant(stage.date, zone, policy);
        instants.set(cacheKey, instant);
      }
      return instant;
    },
  };
  for (const candidate of candidates) {
    const reminder = planOne(candidate, now, policy, memoPeople);
    if (reminder) owed.push(reminder);
  }
  return owed;
}

interface CycleCalendar {
  /** Trigger date of each warning offset, in policy order. */
  warningDates: string[];
  /** Trigger date of overdue step n at index n - 1, for every step the longest ladder can take. */
  overdueDates: string[];
  daysUntilDue: number;
}

type Memo = PeopleDirectory & { instant(stage: Stage): DateTime; calendar(due: string): CycleCalendar };

function cycleCalendar(due: string, now: DateTime, policy: Policy): CycleCalendar {
  const dueDay = DateTime.fromISO(due, { zone: 'utc' });
  return {
    warningDates: policy.reminders.offsetsDays.map((offset) => dueDay.minus({ days: offset }).toISODate() as string),
    overdueDates: policy.reminders.escalation.map((_, index) => dueDay.plus({ days: (index + 1) * policy.reminders.escalateEveryDays }).toISODate() as string),
    daysUntilDue: daysUntil(due, now),
  };
}

function planOne(candidate: PlannerCandidate, now: DateTime, policy: Policy, people: Memo): OwedReminder | null {
  const { secret } = candidate;
  if (secret.lifecycle !== 'active') return null;
  const ladder = escalationLadder(secret, policy, (user) => people.isGone(user));
  const first = ladder[0];
  if (!first) return null;
  const calendar = people.calendar(secret.nextRotation);
  const stages = timeline(secret.nextRotation, calendar, ladder, candidate.snoozes, policy);
  const warningsObsolete = calendar.daysUntilDue <= 0;
  let currentIndex = -1;
  stages.forEach((stage, index) => {
    if (warningsObsolete && stage.kind.startsWith('warning:')) return;
    if (people.instant(stage) <= now) currentIndex = index;
  });
  const current = stages[currentIndex];
  if (!current) return null;
  const taken = new Set(candidate.ledger.filter((entry) => entry.state !== 'released').map((entry) => entry.kind));
  if (stages.slice(currentIndex).some((stage) => taken.has(stage.kind))) return null;
  const earlier: EarlierReminder[] = candidate.ledger
    .filter((entry) => entry.state === 'sent' && entry.sentAt !== null)
    .sort((a, b) => (a.sentAt as string).localeCompare(b.sentAt as string))
    .map((entry) => ({ recipient: entry.recipient, level: entry.level, kind: entry.kind, sentAt: entry.sentAt as string }));
  return {
    key: { secretId: secret.id, cycle: secret.nextRotation, kind: current.kind },
    secret,
    recipient: current.rung.user,
    level: current.rung.level,
    deliverAt: people.instant(current).toISO() as string,
    daysUntilDue: calendar.daysUntilDue,
    earlier,
    snoozesUsed: candidate.snoozes.length,
  };
}

function timeline(due: string, calendar: CycleCalendar, ladder: readonly Rung[], snoozes: readonly Snooze[], policy: Policy): Stage[] {
  const owner = ladder[0] as Rung;
  const stages: Stage[] = policy.reminders.offsetsDays.map((offset, index) => ({
    kind: `warning:${offset}` as const,
    date: calendar.warningDates[index] as string,
    rung: owner,
    rankInDay: 1,
  }));
  stages.push({ kind: 'due', date: due, rung: owner, rankInDay: 1 });
  ladder.slice(1).forEach((rung, index) => {
    const step = index + 1;
    stages.push({
      kind: `overdue:${step}`,
      date: calendar.overdueDates[index] as string,
      rung,
      rankInDay: 1,
    });
  });
  for (const snooze of snoozes) {
    const rung = ladder.find((candidate) => candidate.user === snooze.snoozedBy) ?? { level: owner.level, user: snooze.snoozedBy };
    stages.push({ kind: `snooze:${snooze.seq}`, date: snooze.untilDate, rung, rankInDay: 0 });
  }
  return stages.sort((a, b) => a.date.localeCompare(b.date) || a.rankInDay - b.rankInDay);
}

function deliveryInstant(date: string, zone: string, policy: Policy): DateTime {
  const local = DateTime.fromISO(date, { zone });
  const zoned = local.isValid ? local : DateTime.fromISO(date, { zone: 'utc' });
  return zoned.set({ hour: policy.reminders.localHour, minute: 0, second: 0, millisecond: 0 }).toUTC();
}
