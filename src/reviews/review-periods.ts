import { DateTime } from 'luxon';

/** The reviews of the playbooks: the quarterly one holds the monthly checks, so it replaces that month's monthly one. */
export const REVIEW_KINDS = ['monthly', 'quarterly', 'annual', 'access'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];

export interface DueReview {
  kind: ReviewKind;
  /** `2027-02` (monthly), `2027-Q1` (quarterly, access), `2026` (annual: the year it reviews). */
  period: string;
}

/** The first Monday-to-Friday day of a month, at 00:00 UTC. */
export function firstWorkingDay(year: number, month: number): DateTime {
  let day = DateTime.utc(year, month, 1);
  while (day.weekday > 5) day = day.plus({ days: 1 });
  return day;
}

/**
 * The reviews owed at `now`: from the first working day of a month, that month's review (the
 * quarterly one in January, April, July and October, with the access review), and in January the
 * annual review of the year before. Pure: the job, a test and a rehearsal get the same answer.
 */
export function reviewsDue(now: DateTime): DueReview[] {
  const today = now.toUTC();
  if (today < firstWorkingDay(today.year, today.month)) return [];
  const quarterly = (today.month - 1) % 3 === 0;
  const quarter = `${today.year}-Q${Math.ceil(today.month / 3)}`;
  const due: DueReview[] = quarterly
    ? [
        { kind: 'quarterly', period: quarter },
        { kind: 'access', period: quarter },
      ]
    : [{ kind: 'monthly', period: today.toFormat('yyyy-MM') }];
  if (today.month === 1) due.push({ kind: 'annual', period: String(today.year - 1) });
  return due;
}
