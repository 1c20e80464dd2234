import type { DateTime } from 'luxon';
import { ValidationError } from '../core/errors.js';

/** How long an archived record cannot be changed or deleted: the policy's days or years (e.g. 7 years). */
export interface ArchiveRetention {
  days?: number;
  years?: number;
}

/**
 * The Object Lock retain-until date of a record written at `now`. In COMPLIANCE mode nobody,
 * the account's root included, can shorten it, so it is checked to be a positive whole
 * number of days or years, at most 100 years.
 */
export function retainUntil(now: DateTime, retention: ArchiveRetention): DateTime {
  const { days = 0, years = 0 } = retention;
  const whole = (value: number) => Number.isInteger(value) && value >= 0;
  if (!whole(days) || !whole(years) || days + years === 0 || years > 100 || days > 36_500) {
    throw new ValidationError(
      'The evidence retention must be a positive whole number of days or years (at most 100 years), e.g. 7 years.',
      [{ where: 'retention', message: 'a positive whole number of days or years' }],
    );
  }
  return now.toUTC().plus({ years, days });
}
