import type { DateTime } from 'luxon';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import type { ReminderNotifier } from '../reminders/reminder-notifier.js';
import type { ReminderSweepService } from '../reminders/reminder-sweep-service.js';
import type { SweepLogRepo } from '../reminders/sweep-log-repo.js';
import type { WeeklyDigestService } from '../reminders/weekly-digest-service.js';
import { escapeMrkdwn } from '../slack/views/mrkdwn.js';
import type { JobDefinition, JobLogger } from './job-scheduler.js';

export const WEEKLY_DIGEST_SCHEDULE = '0 9 * * 1';

/**
 * The reminder sweep (on ROTOR_REMINDER_CRON and at start-up) and the weekly digest. A failed
 * sweep is said out loud in the announcement channel: reminders must not fail silently.
 */
export function reminderJobs(deps: {
  sweep: ReminderSweepService;
  weeklyDigest: WeeklyDigestService;
  notifier: ReminderNotifier;
  policy: Policy;
  clock: Clock;
  schedule: string;
  logger: JobLogger;
}): JobDefinition[] {
  return [
    {
      name: 'reminder-sweep',
      schedule: deps.schedule,
      runAtStart: true,
      run: async () => {
        try {
          const report = await deps.sweep.sweep();
          deps.logger.info({ job: 'reminder-sweep', ...report, failures: report.failures.length }, 'reminder sweep finished');
        } catch (error) {
          deps.logger.error({ job: 'reminder-sweep', err: error }, 'reminder sweep failed');
          const channel = deps.policy.channels.announce;
          if (!channel) return;
          // The reason can quote Slack, the database or a provider: shown literally, never as markup.
          const reason = escapeMrkdwn(error instanceof Error ? error.message : String(error));
          const text = `:warning: The reminder sweep failed at ${deps.clock.now().toUTC().toISO()}: ${reason}. Reminders not sent will go out at the next sweep; if this repeats, check Rotor's logs.`;
          await deps.notifier.announce(channel, text).catch((announceError: unknown) => deps.logger.error({ err: announceError }, 'could not announce the failed sweep'));
        }
      },
    },
    {
      name: 'weekly-reminder-digest',
      schedule: WEEKLY_DIGEST_SCHEDULE,
      runAtStart: false,
      run: async () => {
        await deps.weeklyDigest.post();
      },
    },
  ];
}

export interface SweepHealth {
  healthy: boolean;
  lastSuccessfulSweep: string | null;
}

/** Healthy while the last successful sweep is younger than twice the schedule's longest gap. */
export function sweepHealth(sweepLog: SweepLogRepo, now: DateTime, maxAgeMs: number, startedAt: DateTime): SweepHealth {
  const last = sweepLog.lastSuccess();
  const reference = last ? new Date(last).getTime() : startedAt.toMillis();
  return { healthy: now.toMillis() - reference <= maxAgeMs, lastSuccessfulSweep: last };
}
