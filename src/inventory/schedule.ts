import { DateTime } from 'luxon';
import type { Lifecycle, SecretStatus } from './secret.js';

/** The widest "due within N days" window on every surface: the CLI, the calendar and `/secrets due`. */
export const MAX_WINDOW_DAYS = 365;

/** Rotation dates are calendar dates in UTC; times of day never move a due date. */
export function toUtcDate(instant: DateTime): string {
  return instant.toUTC().toISODate() as string;
}

/**
 * Next rotation = last rotated + interval, in UTC calendar days. A secret never rotated is
 * due now: its due date is the day Rotor learned of it.
 */
export function nextRotationDate(lastRotated: string | null, intervalDays: number, knownSince: DateTime): string {
  if (lastRotated === null) return toUtcDate(knownSince);
  // Stored instants are UTC ISO strings, so their first ten characters are the UTC date.
  return addDays(lastRotated.slice(0, 10), intervalDays);
}

/**
 * Date arithmetic is pure and imports repeat the same few dates and intervals across many
 * rows, so results are remembered (the memo is dropped whenever it grows large).
 */
const addDaysMemo = new Map<string, string>();

function addDays(isoDate: string, days: number): string {
  const key = `${isoDate}+${days}`;
  let result = addDaysMemo.get(key);
  if (result === undefined) {
    result = DateTime.fromISO(isoDate, { zone: 'utc' }).plus({ days }).toISODate() as string;
    if (addDaysMemo.size >= 10_000) addDaysMemo.clear();
    addDaysMemo.set(key, result);
  }
  return result;
}

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a `YYYY-MM-DD` calendar date, or null for any other text. */
function utcDayNumber(isoDate: string): number | null {
  const match = ISO_DATE.exec(isoDate);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.getTime() / DAY_MS;
}

/**
 * Whole days from `today` to `dueDate`: negative once overdue, 0 on the due day. Every list row
 * and reminder asks this, so stored dates (always `YYYY-MM-DD`) are counted in UTC day numbers;
 * any other text takes luxon's slower path, which gives the same answer.
 */
export function daysUntil(dueDate: string, today: DateTime): number {
  const dueDay = utcDayNumber(dueDate);
  if (dueDay !== null && today.isValid) return dueDay - Math.floor(today.toMillis() / DAY_MS);
  const due = DateTime.fromISO(dueDate, { zone: 'utc' }).startOf('day');
  return Math.round(due.diff(today.toUTC().startOf('day'), 'days').days);
}

/** The warnings that make a secret "due soon": the policy's reminder offsets (or one window, in days). */
export type WarningWindow = number | readonly number[];

/**
 * How many days before its due date a secret with this interval is due soon: the longest
 * warning shorter than the interval. A warning as long as the interval would make the secret due
 * soon from the day it is rotated (a 30-day secret with 30- and 7-day reminders is due soon in its
 * last 7 days).
 */
export function dueSoonWindow(warnings: WarningWindow, intervalDays: number): number {
  const offsets = typeof warnings === 'number' ? [warnings] : warnings;
  return Math.max(0, ...offsets.filter((offset) => offset < intervalDays));
}

/**
 * Status shown to people. Lifecycle states a flow set win; otherwise the dates decide:
 * due or past due is `overdue`, within the secret's warning window is `due_soon`.
 */
export function deriveStatus(
  lifecycle: Lifecycle,
  nextRotation: string,
  today: DateTime,
  warnings: WarningWindow,
  intervalDays = Number.POSITIVE_INFINITY,
): SecretStatus {
  if (lifecycle !== 'active') return lifecycle;
  const days = daysUntil(nextRotation, today);
  if (days <= 0) return 'overdue';
  if (days <= dueSoonWindow(warnings, intervalDays)) return 'due_soon';
  return 'active';
}
