import { Gauge, Registry } from './prometheus.js';
import type { RotorCounters } from './metrics.js';
import { kindLabel, type OwedReminder } from '../reminders/reminder.js';
import type { SweepLogRepo } from '../storage/sweep-log-repo.js';

/** rotor_reminder_last_success_timestamp_seconds, read from the database at scrape time. */
export function createReminderMetrics(sweepLog: SweepLogRepo): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'rotor_reminder_last_success_timestamp_seconds',
    help: 'Unix time of the last reminder sweep that finished without error (0 when none has)',
    registers: [registry],
    collect() {
      const last = sweepLog.lastSuccess();
      this.set(last ? Math.floor(new Date(last).getTime() / 1000) : 0);
    },
  });
  return registry;
}

/** The sweep's onSent: counts delivered reminders by kind. */
export function countSentReminders({ remindersSent }: Pick<RotorCounters, 'remindersSent'>, reminders: readonly OwedReminder[]): void {
  for (const reminder of reminders) remindersSent.inc({ kind: kindLabel(reminder.key.kind) });
}
