import { DateTime } from 'luxon';
import type { Policy, ProductionHours, WeekDay } from '../config/policy.js';
import { WEEK_DAYS } from '../config/policy.js';
import type { ValidationIssue } from '../core/errors.js';
import { findUnsafeText } from '../inventory/free-text-guard.js';

/** A window as a person asks for it. */
export interface WindowRequest {
  /** ISO instant of the start. */
  startsAt: string | null;
  durationMinutes: number | null;
  impact: string | null;
}

export const MIN_WINDOW_MINUTES = 5;
export const MAX_WINDOW_MINUTES = 24 * 60;
export const MAX_IMPACT_LENGTH = 500;

/** A request that passed the checks that need nothing but itself, the clock and the policy. */
export interface CheckedWindow {
  startsAt: DateTime;
  endsAt: DateTime;
  impact: string;
}

/**
 * What is wrong with the request, field by field (`start`, `duration`, `impact`), before any
 * other window is looked at: a start in the past, a duration out of range, an empty or unsafe
 * impact text, a production window outside the policy's days and hours.
 */
export function checkWindowRequest(
  request: WindowRequest,
  environment: string,
  now: DateTime,
  policy: Policy,
): { window: CheckedWindow | null; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const parsed = request.startsAt ? DateTime.fromISO(request.startsAt, { zone: 'utc' }) : null;
  const start = parsed?.isValid ? parsed : null;
  if (!start) issues.push({ where: 'start', message: 'Choose when the window starts.' });
  else if (start.toMillis() <= now.toMillis())
    issues.push({ where: 'start', message: `The start ${start.toISO()} is in the past: choose a time after ${now.toUTC().toISO()}.` });
  const minutes = request.durationMinutes;
  if (minutes === null || !Number.isInteger(minutes) || minutes < MIN_WINDOW_MINUTES || minutes > MAX_WINDOW_MINUTES)
    issues.push({ where: 'duration', message: `Give the expected duration in minutes, ${MIN_WINDOW_MINUTES} to ${MAX_WINDOW_MINUTES}.` });
  const impact = (request.impact ?? '').trim();
  if (impact === '') issues.push({ where: 'impact', message: 'Say what the consumers should expect (e.g. "15 min, no impact expected").' });
  else if (impact.length > MAX_IMPACT_LENGTH)
    issues.push({ where: 'impact', message: `Keep it under ${MAX_IMPACT_LENGTH} characters (it is ${impact.length}).` });
  else {
    const unsafe = findUnsafeText(impact);
    if (unsafe) issues.push({ where: 'impact', message: unsafe.hint });
  }
  if (issues.length > 0 || !start || minutes === null) return { window: null, issues };
  const end = start.plus({ minutes });
  const hours = policy.windows.production;
  if (hours?.environments.includes(environment)) {
    const outside = outsideProductionHours(start, end, hours);
    if (outside) issues.push({ where: 'start', message: outside });
  }
  return { window: issues.length > 0 ? null : { startsAt: start, endsAt: end, impact }, issues };
}

/** Why [start, end) is not within the allowed days and hours, or null. */
export function outsideProductionHours(start: DateTime, end: DateTime, hours: ProductionHours): string | null {
  const local = start.setZone(hours.timeZone);
  const day = WEEK_DAYS[local.weekday - 1] as WeekDay;
  const dayStart = local.startOf('day');
  const from = dayStart.plus({ minutes: hours.fromMinute });
  const to = dayStart.plus({ minutes: hours.toMinute });
  const allowed = `${hours.days.join(', ')} ${hours.hours} ${hours.timeZone} (policy windows.production)`;
  if (!hours.days.includes(day))
    return `Production windows may run only on ${allowed}; ${local.toFormat('ccc yyyy-LL-dd HH:mm')} is a ${local.toFormat('cccc')}.`;
  if (start.toMillis() < from.toMillis() || end.toMillis() > to.toMillis())
    return `Production windows may run only on ${allowed}; this one runs ${local.toFormat('HH:mm')} to ${end.setZone(hours.timeZone).toFormat('HH:mm')} local time.`;
  return null;
}
