import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { daysUntil, deriveStatus } from '../../src/inventory/schedule.js';

/** The definition daysUntil must keep: whole UTC calendar days between the two dates, by luxon. */
function luxonDaysUntil(dueDate: string, today: DateTime): number {
  const due = DateTime.fromISO(dueDate, { zone: 'utc' }).startOf('day');
  return Math.round(due.diff(today.toUTC().startOf('day'), 'days').days);
}

describe('daysUntil', () => {
  const now = DateTime.utc();
  // Instants around the current date in several zones and at both ends of the UTC day.
  const todays = [
    now,
    now.startOf('day'),
    now.endOf('day'),
    now.setZone('Pacific/Kiritimati'),
    now.setZone('America/Adak').startOf('day'),
    now.setZone('Europe/London').set({ hour: 23, minute: 59 }),
    now.minus({ years: 3 }).set({ month: 2, day: 28 }),
  ];
  const offsets = [-800, -366, -31, -1, 0, 1, 7, 29, 30, 365, 1461];

  it('counts whole UTC days exactly as the calendar does, in every zone and at any time of day', () => {
    for (const today of todays) {
      for (const offset of offsets) {
        const due = today.toUTC().plus({ days: offset }).toISODate() as string;
        expect(daysUntil(due, today), `${due} from ${today.toISO()}`).toBe(luxonDaysUntil(due, today));
      }
    }
  });

  it('handles leap days and month ends like the calendar', () => {
    const today = DateTime.fromISO('2028-02-28T23:30:00', { zone: 'Asia/Tokyo' });
    for (const due of ['2028-02-29', '2028-03-01', '2027-12-31', '2100-03-01', '0001-01-01', '9999-12-31']) {
      expect(daysUntil(due, today), due).toBe(luxonDaysUntil(due, today));
    }
  });

  it('gives text that is not a plain calendar date the same answer as before (NaN for nonsense)', () => {
    const today = now;
    for (const due of ['2027-02-30', '2027-13-01', 'not a date', '', `${now.toISODate()}T18:00:00Z`, '20270101']) {
      const expected = luxonDaysUntil(due, today);
      if (Number.isNaN(expected)) expect(daysUntil(due, today), due).toBeNaN();
      else expect(daysUntil(due, today), due).toBe(expected);
    }
  });

  it('feeds deriveStatus the same day counts: due today is overdue, the window end is due soon', () => {
    const today = DateTime.utc();
    const on = (days: number) => today.plus({ days }).toISODate() as string;
    expect(deriveStatus('active', on(0), today, 7)).toBe('overdue');
    expect(deriveStatus('active', on(7), today, 7)).toBe('due_soon');
    expect(deriveStatus('active', on(8), today, 7)).toBe('active');
  });
});
