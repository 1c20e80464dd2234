import type { DateTime } from 'luxon';
import type { SweepHealth } from '../http/routes.js';
import type { SweepLogRepo } from '../storage/sweep-log-repo.js';

/** Healthy while the last successful sweep is younger than twice the schedule's longest gap. */
export function sweepHealth(sweepLog: SweepLogRepo, now: DateTime, maxAgeMs: number, startedAt: DateTime): SweepHealth {
  const last = sweepLog.lastSuccess();
  const reference = last ? new Date(last).getTime() : startedAt.toMillis();
  return { healthy: now.toMillis() - reference <= maxAgeMs, lastSuccessfulSweep: last };
}
