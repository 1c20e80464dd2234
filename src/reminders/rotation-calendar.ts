import { createEvents, type EventAttributes } from 'ics';
import { DateTime } from 'luxon';
import type { ReadScope } from '../access/visibility.js';
import { RotorError } from '../core/errors.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { SecretHistoryRepo } from '../inventory/secret-history-repo.js';
import type { Secret } from '../inventory/secret.js';
import { isoInstant } from '../core/clock.js';
import type { RotationWindowRepo, ScheduledWindow } from '../rotation-windows/window-repo.js';

export interface CalendarQuery {
  /** Rotations due after today through this many days ahead (overdue ones, today's included, always). */
  days: number;
  /** Only secrets this Slack user owns or backs up. */
  owner?: string;
  /** Only the secrets a viewer may read (a person's own feed). */
  scope?: ReadScope;
}

export const CALENDAR_ALARM_DAYS = [30, 7] as const;

/** Rotations to show, soonest first: every overdue one (compromised and rotating ones too), then those due within `days`. */
export function upcomingRotations(inventory: InventoryRepo, today: DateTime, query: CalendarQuery): Secret[] {
  const secrets = [...inventory.overdue(today, {}, query.scope), ...inventory.dueWithin(query.days, today, {}, query.scope)];
  return query.owner ? secrets.filter((secret) => secret.owner === query.owner || secret.backupOwner === query.owner) : secrets;
}

/**
 * Planned windows to show: those of open rotations not over yet; for `owner`, the windows of
 * secrets they own; in a person's own feed, the windows of secrets they own or planned.
 */
export function upcomingWindows(windows: RotationWindowRepo, now: DateTime, query: CalendarQuery): ScheduledWindow[] {
  const person = query.owner ?? (query.scope?.kind === 'some' ? query.scope.userId : null);
  return windows
    .upcoming(isoInstant(now))
    .filter((window) => person === null || window.owner === person || (!query.owner && window.plannedBy === person));
}

/** The calendar of `upcomingRotations` (each event's SEQUENCE the count of its secret's recorded changes) and the planned windows. */
export function rotationCalendar(
  deps: { inventory: InventoryRepo; history: SecretHistoryRepo; windows?: RotationWindowRepo },
  today: DateTime,
  query: CalendarQuery,
): string {
  const secrets = upcomingRotations(deps.inventory, today, query);
  const windows = deps.windows ? upcomingWindows(deps.windows, today, query) : [];
  return buildRotationCalendar(secrets, deps.history.revisions(secrets.map((secret) => secret.name)), windows);
}

const utcParts = (iso: string): [number, number, number, number, number] => {
  const at = DateTime.fromISO(iso, { zone: 'utc' });
  return [at.year, at.month, at.day, at.hour, at.minute];
};

/** A planned window as a timed event, its secret's owner the attendee. The UID names the window: moving it makes a new one. */
function windowEvent(window: ScheduledWindow): EventAttributes {
  return {
    uid: `rotation-window-${window.id}@rotor`,
    title: `Rotation window — ${window.secretName}`,
    description: [
      `Expected impact: ${window.impact}`,
      `Environment: ${window.environment}`,
      `Owner: ${window.owner ?? 'none'}`,
      `Planned by: ${window.plannedBy}`,
      `Open it in Slack with /rotate ${window.secretName}`,
    ].join('\n'),
    start: utcParts(window.startsAt),
    startInputType: 'utc',
    startOutputType: 'utc',
    end: utcParts(window.endsAt),
    endInputType: 'utc',
    endOutputType: 'utc',
    categories: ['secrets-rotation', 'rotation-window', window.environment],
    ...(window.owner ? { attendees: [{ name: window.owner, role: 'REQ-PARTICIPANT' as const }] } : {}),
  };
}

/**
 * An RFC 5545 calendar with one all-day event per rotation and alarms 30 and 7 days before. The
 * UID names the secret, not the date, so when a rotation moves the next date the calendar client
 * updates the event instead of adding a second one. SEQUENCE is how many changes the audit log
 * recorded for the secret: the same for every export until the secret changes, then higher (a
 * timestamp, as before, changed whenever a row was written again, e.g. by a fresh import).
 */
export function buildRotationCalendar(
  secrets: readonly Secret[],
  revisions: ReadonlyMap<string, number> = new Map(),
  windows: readonly ScheduledWindow[] = [],
): string {
  const dayEvents: EventAttributes[] = secrets.map((secret) => {
    const due = DateTime.fromISO(secret.nextRotation, { zone: 'utc' });
    const description = [
      `Owner: ${secret.owner ?? 'none'}`,
      `Backup owner: ${secret.backupOwner ?? 'none'}`,
      `Consumers: ${secret.consumers.length > 0 ? secret.consumers.join(', ') : 'none recorded'}`,
      `Environment: ${secret.environment}`,
      `Provider: ${secret.provider}`,
      `Rotate it in Slack with /rotate ${secret.name}`,
    ].join('\n');
    return {
      uid: `rotation-${secret.name.replace(/[^a-z0-9_.-]/g, '-')}@rotor`,
      title: `Secrets rotation — ${secret.name}`,
      description,
      start: [due.year, due.month, due.day],
      end: [due.plus({ days: 1 }).year, due.plus({ days: 1 }).month, due.plus({ days: 1 }).day],
      sequence: revisions.get(secret.name) ?? 0,
      categories: ['secrets-rotation', secret.environment],
      transp: 'TRANSPARENT',
      alarms: CALENDAR_ALARM_DAYS.map((days) => ({
        action: 'display' as const,
        description: `${secret.name} is due for rotation in ${days} days`,
        trigger: { days, before: true },
      })),
    };
  });
  const events = [...dayEvents, ...windows.map(windowEvent)];
  if (events.length === 0) {
    return [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'CALSCALE:GREGORIAN',
      'PRODID:-//Rotor//Secrets rotation//EN',
      'X-WR-CALNAME:Secrets rotation',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
  }
  const { error, value } = createEvents(events, { productId: '-//Rotor//Secrets rotation//EN', calName: 'Secrets rotation' });
  if (error || value === null) throw new RotorError('internal', 'Could not build the rotation calendar.', { cause: error });
  // ics writes a day-only trigger as `-P30DT`; RFC 5545 wants hours, minutes or seconds after a
  // `T`, and strict clients refuse the alarm, so the empty time part is dropped.
  return foldOctets(value.replace(/^(TRIGGER:[+-]?P(?:\d+W)?(?:\d+D)?)T\r\n/gm, '$1\r\n'), withAttendeeAddress);
}

/**
 * An attendee is a Slack member, whose e-mail Rotor does not know: the line gets the member as
 * its address (RFC 5545 wants a URI after the parameters), `urn:x-slack-member:U0123ABCD`.
 */
function withAttendeeAddress(line: string): string {
  return line.replace(/^(ATTENDEE;(?:[^:]*;)?CN="?([UW][A-Z0-9]+)"?)$/, '$1:urn:x-slack-member:$2');
}

/** RFC 5545 §3.1: content lines are at most 75 octets; longer ones continue on lines that start with a space. */
const LINE_OCTETS = 75;

/**
 * Folds every line at 75 octets of UTF-8, never inside a character. The ics library folds at 75
 * characters, so a line of accented or non-Latin text came out well over 75 octets.
 */
function foldOctets(ics: string, unfolded: (line: string) => string = (line) => line): string {
  const lines = ics.replace(/\r\n[ \t]/g, '').split('\r\n');
  return lines.map((line) => foldLine(unfolded(line))).join('\r\n');
}

function foldLine(line: string): string {
  if (Buffer.byteLength(line) <= LINE_OCTETS) return line;
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char);
    // A continuation line's leading space counts towards its 75 octets.
    const room = parts.length === 0 ? LINE_OCTETS : LINE_OCTETS - 1;
    if (octets + size > room) {
      parts.push(current);
      current = '';
      octets = 0;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join('\r\n ');
}
