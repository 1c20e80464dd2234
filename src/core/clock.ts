import { DateTime } from 'luxon';

/** The only reader of wall time. Everything else receives a Clock so tests can move time. */
export interface Clock {
  now(): DateTime;
}

/** An instant in the one canonical form Rotor stores and compares: UTC ISO with milliseconds. */
export function isoInstant(instant: DateTime): string {
  return instant.toUTC().toISO() as string;
}

export const systemClock: Clock = {
  now: () => DateTime.utc(),
};

/** A clock that stands still until told to move; for tests and `--at` rehearsals. */
export class FixedClock implements Clock {
  private current: DateTime;

  constructor(at: DateTime | string) {
    this.current = typeof at === 'string' ? parseInstant(at) : at.toUTC();
  }

  now(): DateTime {
    return this.current;
  }

  set(at: DateTime | string): void {
    this.current = typeof at === 'string' ? parseInstant(at) : at.toUTC();
  }

  advance(duration: { days?: number; hours?: number; minutes?: number; seconds?: number }): void {
    this.current = this.current.plus(duration);
  }
}

function parseInstant(text: string): DateTime {
  const parsed = DateTime.fromISO(text, { zone: 'utc' });
  if (!parsed.isValid) throw new Error(`Not an ISO date or time: ${text}`);
  return parsed.toUTC();
}
