import { Counter, Gauge, Registry } from './prometheus.js';
import { STATUSES, type SecretStatus } from '../inventory/secret.js';

/**
 * The counters one Rotor counts into, on a registry of its own: created with the runtime and
 * handed to what increments them, so two runtimes in one process (tests, a CLI beside the bot)
 * never add to each other's series. Gauges are computed per scrape from the database instead.
 */
export interface RotorCounters {
  registry: Registry;
  remindersSent: Counter<'kind'>;
  rotationsCompleted: Counter<'provider'>;
  followUpsDone: Counter<'kind'>;
  slackApiErrors: Counter<'method' | 'error'>;
  slackRequestsHandled: Counter<'kind' | 'outcome'>;
}

export function createRotorCounters(): RotorCounters {
  const registry = new Registry();
  return {
    registry,
    remindersSent: new Counter({
      name: 'rotor_reminders_sent_total',
      help: 'Reminder DMs delivered to Slack, by kind (e.g. 30d, 7d, due, overdue)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    rotationsCompleted: new Counter({
      name: 'rotor_rotations_completed_total',
      help: 'Rotations completed and confirmed by the provider',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
    followUpsDone: new Counter({
      name: 'rotor_follow_ups_done_total',
      help: 'Follow-ups done (approval re-sends, removals of previous versions, incident pages), by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    slackApiErrors: new Counter({
      name: 'rotor_slack_api_errors_total',
      help: 'Slack Web API calls that answered ok:false or HTTP errors, by method and error code',
      labelNames: ['method', 'error'] as const,
      registers: [registry],
    }),
    slackRequestsHandled: new Counter({
      name: 'rotor_slack_requests_total',
      help: 'Slack requests handled, by kind and outcome',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
  };
}

/** Reads the inventory at scrape time. */
export interface InventoryGaugeSource {
  countByStatus(): Record<SecretStatus, number>;
  /** Every live secret past its due date, whatever its status (the `rotor overdue` list). */
  countOverdue(): number;
}

/** The inventory gauges /metrics serves beside the runtime's counters, read at scrape time. */
export function createMetricsRegistry(source: InventoryGaugeSource): Registry {
  const gauges = new Registry();
  new Gauge({
    name: 'rotor_secrets',
    help: 'Secrets in the inventory, by status',
    labelNames: ['status'] as const,
    registers: [gauges],
    collect() {
      const counts = source.countByStatus();
      for (const status of STATUSES) this.set({ status }, counts[status]);
    },
  });
  new Gauge({
    name: 'rotor_secrets_overdue',
    help: 'Live secrets due today or earlier, rotating and compromised ones included (what rotor overdue lists)',
    registers: [gauges],
    collect() {
      this.set(source.countOverdue());
    },
  });
  return gauges;
}
