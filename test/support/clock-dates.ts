import type { Clock } from '../../src/core/clock.js';

/**
 * The day `days` before the injected clock's now (YYYY-MM-DD), as a seed's last rotation: data
 * relative to the test's clock, never a calendar literal that stops meaning "a month ago" when the
 * harness's clock moves.
 */
export function daysAgo(clock: Clock, days: number): string {
  return clock.now().toUTC().minus({ days }).toISODate() as string;
}

/** The day `days` after the injected clock's now (YYYY-MM-DD): a next rotation the clock reaches in that many days. */
export function daysAhead(clock: Clock, days: number): string {
  return clock.now().toUTC().plus({ days }).toISODate() as string;
}
