import type { Registry } from 'prom-client';
import type { HttpRouteDeps } from '../../http/routes.js';
import { MAX_WINDOW_DAYS } from '../../inventory/schedule.js';
import { SecretHistoryRepo } from '../../inventory/secret-history-repo.js';
import type { Logger } from '../../logging/logger.js';
import { longestInterval, type JobDefinition } from '../../scheduler/job-scheduler.js';
import { reminderJobs, sweepHealth } from '../../scheduler/reminder-jobs.js';
import type { Services } from '../../services.js';
import { notMineReportText } from '../../slack/views/reminder-action-messages.js';
import { renderWeeklyDigest } from '../../slack/views/reminder-weekly-digest.js';
import { countSentReminders, createReminderMetrics } from './reminder-metrics.js';
import { createReminderClients, SlackReminderNotifier } from './slack-reminder-notifier.js';
import { createReminderSweep } from '../create-reminder-sweep.js';
import { ReminderActionsService } from '../reminder-actions-service.js';
import { ReminderLedgerRepo } from '../reminder-ledger-repo.js';
import { rotationCalendar } from '../rotation-calendar.js';
import { SweepLogRepo } from '../sweep-log-repo.js';
import { WeeklyDigestService } from '../weekly-digest-service.js';

export interface ReminderRuntimeOptions {
  botToken: string;
  /** Web API base URL (tests: the fake Slack). */
  apiUrl?: string;
  /** ROTOR_REMINDER_CRON. */
  schedule: string;
  /** ROTOR_CALENDAR_TOKEN; absent turns the calendar feed off. */
  calendarToken?: string;
  logger: Logger;
}

export interface ReminderRuntime {
  /** What the reminder DM's buttons call. */
  actions: ReminderActionsService;
  /** Sweep freshness for /healthz and the calendar feed, for createHttpRoutes. */
  httpDeps: Pick<HttpRouteDeps, 'reminderHealth' | 'calendar'>;
  /** rotor_reminder_last_success_timestamp_seconds, to merge into /metrics. */
  metrics: Registry;
  /** The sweep (also at start-up) and the weekly digest, for the bot's job table. */
  jobs: JobDefinition[];
  /** Plain text to a channel, on the notifier's non-retrying client. */
  announce(channel: string, text: string): Promise<unknown>;
}

/**
 * Everything the bot needs for reminders, on one database: the Slack notifier, the sweep and the
 * weekly digest jobs, the button actions, health, metrics and the calendar.
 *
 * The notifier has its own WebClients rather than Bolt's: posting must never retry inside the
 * client (a retried 5xx can post twice; the sweep decides after looking in the DM history),
 * while Bolt's client retries by design.
 */
export function createReminderRuntime(services: Services, options: ReminderRuntimeOptions): ReminderRuntime {
  const logger = options.logger.child({ component: 'reminders' });
  const notifier = new SlackReminderNotifier(createReminderClients(options.botToken, options.apiUrl));
  const ledger = new ReminderLedgerRepo(services.db);
  const sweepLog = new SweepLogRepo(services.db);
  const { db, inventory, audit, clock, policy } = services;
  const weeklyDigest = new WeeklyDigestService({ db, ledger, inventory, notifier, clock, policy }, renderWeeklyDigest);
  const jobs = reminderJobs({ sweep: createReminderSweep(services, notifier, { onSent: countSentReminders }), weeklyDigest, notifier, policy, clock, schedule: options.schedule, logger });
  const startedAt = clock.now();
  const maxSweepAgeMs = 2 * longestInterval(options.schedule);
  const calendarToken = options.calendarToken;
  const history = new SecretHistoryRepo(db);

  return {
    actions: new ReminderActionsService({ db, ledger, inventory, audit, notifier, clock, policy }, notMineReportText),
    httpDeps: {
      reminderHealth: () => sweepHealth(sweepLog, clock.now(), maxSweepAgeMs, startedAt),
      calendar: calendarToken ? { token: calendarToken, render: () => rotationCalendar({ inventory, history }, clock.now(), { days: MAX_WINDOW_DAYS }) } : undefined,
    },
    metrics: createReminderMetrics(sweepLog),
    jobs,
    announce: (channel, text) => notifier.announce(channel, text),
  };
}
