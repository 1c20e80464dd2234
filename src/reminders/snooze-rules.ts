import { DateTime } from 'luxon';
import type { ReminderKind } from './reminder.js';

export const SNOOZE_DAYS = [1, 3, 7] as const;
export const MAX_SNOOZES_PER_CYCLE = 2;

/**
 * Snooze lengths still open for a reminder on `today`: none once two snoozes were used this
 * cycle, and for a warning none that would reach past the due date (the due-day notice comes
 * that day anyway). Due and overdue reminders can be snoozed, but escalation keeps its own
 * schedule: a snooze only delays the reminder to the person who asked. `dueDate` is the cycle's
 * date unless a rotation need brought it forward.
 */
export function snoozeChoices(kind: ReminderKind, cycle: string, snoozesUsed: number, today: string, dueDate: string = cycle): number[] {
  if (snoozesUsed >= MAX_SNOOZES_PER_CYCLE) return [];
  const isWarning = kind.startsWith('warning:') || (kind.startsWith('snooze:') && today < dueDate);
  if (!isWarning) return [...SNOOZE_DAYS];
  const day = DateTime.fromISO(today, { zone: 'utc' });
  return SNOOZE_DAYS.filter((days) => (day.plus({ days }).toISODate() as string) <= dueDate);
}
