import { createEvents, type EventAttributes } from 'ics';
import { DateTime } from 'luxon';
import { RotorError } from '../core/errors.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { Secret } from '../inventory/secret.js';

export interface CalendarQuery {
  /** Rotations due from today through this many days ahead. */
  days: number;
  /** Only secrets this Slack user owns or backs up. */
  owner?: string;
}

export const CALENDAR_ALARM_DAYS = [30, 7] as const;

/** Upcoming rotations, soonest first, for the calendar. */
export function upcomingRotations(inventory: InventoryRepo, today: DateTime, query: CalendarQuery): Secret[] {
  // dueWithin excludes its start day; starting from yesterday keeps today's rotations in.
  const secrets = inventory.dueWithin(query.days + 1, today.minus({ days: 1 }));
  return query.owner ? secrets.filter((secret) => secret.owner === query.owner || secret.backupOwner === query.owner) : secrets;
}

/**
 * An RFC 5545 calendar with one all-day event per upcoming rotation and alarms 30 and 7 days
 * before. The UID names the secret, not the date, so when a rotation moves the next date the
 * calendar client updates the event instead of adding a second one; SEQUENCE grows with each
 * change of the secret.
 */
export function buildRotationCalendar(secrets: readonly Secret[]): string {
  const events: EventAttributes[] = secrets.map((secret) => {
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
      sequence: Math.floor(DateTime.fromISO(secret.updatedAt).toMillis() / 60_000),
      categories: ['secrets-rotation', secret.environment],
      transp: 'TRANSPARENT',
      alarms: CALENDAR_ALARM_DAYS.map((days) => ({
        action: 'display' as const,
        description: `${secret.name} is due for rotation in ${days} days`,
        trigger: { days, before: true },
      })),
    };
  });
  if (events.length === 0) {
    return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'CALSCALE:GREGORIAN', 'PRODID:-//Rotor//Secrets rotation//EN', 'X-WR-CALNAME:Secrets rotation', 'END:VCALENDAR', ''].join('\r\n');
  }
  const { error, value } = createEvents(events, { productId: '-//Rotor//Secrets rotation//EN', calName: 'Secrets rotation' });
  if (error || value === null) throw new RotorError('internal', 'Could not build the rotation calendar.', { cause: error });
  // ics writes a day-only trigger as `-P30DT`; RFC 5545 wants hours, minutes or seconds after a
  // `T`, and strict clients refuse the alarm, so the empty time part is dropped.
  return value.replace(/^(TRIGGER:[+-]?P(?:\d+W)?(?:\d+D)?)T\r\n/gm, '$1\r\n');
}
