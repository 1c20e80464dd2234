import { Gauge, Registry } from './prometheus.js';
import type { FollowUpRepo } from '../follow-ups/follow-up-repo.js';
import type { SweepLogRepo } from '../storage/sweep-log-repo.js';

/** Follow-up health, read from the database at scrape time (so every process reports the same). */
export function createFollowUpMetrics(repo: FollowUpRepo, sweepLog: SweepLogRepo): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'rotor_follow_up_last_success_timestamp_seconds',
    help: 'Unix time of the last follow-up sweep that finished without error (0 when none has)',
    registers: [registry],
    collect() {
      const last = sweepLog.lastSuccess();
      this.set(last ? Math.floor(new Date(last).getTime() / 1000) : 0);
    },
  });
  new Gauge({
    name: 'rotor_follow_ups',
    help: 'Follow-ups waiting, being done, or given up on (failed), by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const counts = repo.countByState();
      for (const state of ['pending', 'claimed', 'failed'] as const) this.set({ state }, counts[state]);
    },
  });
  return registry;
}
