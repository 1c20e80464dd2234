import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { firstWorkingDay, reviewsDue } from '../../src/reviews/review-periods.js';

/** Every month of a span of years, as properties: no particular calendar date is asserted. */
const MONTHS = Array.from({ length: 12 * 8 }, (_, index) => DateTime.utc(2030, 1, 1).plus({ months: index }));

describe('when the reviews are due', () => {
  it('the first working day is the month’s first Monday-to-Friday day', () => {
    for (const month of MONTHS) {
      const day = firstWorkingDay(month.year, month.month);
      expect(day.weekday).toBeLessThanOrEqual(5);
      expect(day.month).toBe(month.month);
      for (let earlier = month; earlier < day; earlier = earlier.plus({ days: 1 })) expect(earlier.weekday).toBeGreaterThan(5);
    }
  });

  it('nothing before it; from it on, the month’s review: the quarterly and access reviews in a quarter’s first month, the annual one in January', () => {
    for (const month of MONTHS) {
      const day = firstWorkingDay(month.year, month.month);
      if (day.day > 1) expect(reviewsDue(day.minus({ minutes: 1 }))).toEqual([]);
      const due = reviewsDue(day.plus({ hours: 9 }));
      expect(reviewsDue(month.endOf('month'))).toEqual(due);
      const quarter = `${month.year}-Q${month.quarter}`;
      const expected = [1, 4, 7, 10].includes(month.month)
        ? [
            { kind: 'quarterly', period: quarter },
            { kind: 'access', period: quarter },
          ]
        : [{ kind: 'monthly', period: month.toFormat('yyyy-MM') }];
      if (month.month === 1) expected.push({ kind: 'annual', period: String(month.year - 1) });
      expect(due).toEqual(expected);
    }
  });
});
