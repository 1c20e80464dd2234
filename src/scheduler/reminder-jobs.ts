import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import type { ReminderSweepService } from '../reminders/reminder-sweep-service.js';
import type { WeeklyDigestService } from '../reminders/weekly-digest-service.js';
import type { Announcer } from './announcer.js';
import type { JobDefinition, JobLogger } from './job-scheduler.js';

export const WEEKLY_DIGEST_SCHEDULE = '0 9 * * 1';

/**
 * The reminder sweep (on ROTOR_REMINDER_CRON and at start-up) and the weekly digest. A failed
 * sweep is said out loud in the announcement channel: reminders must not fail silently.
 */
export function reminderJobs(deps: {
  sweep: ReminderSweepService;
  weeklyDigest: WeeklyDigestService;
  announcer: Announcer;
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
          const reason = error instanceof Error ? error.message : String(error);
          const at = deps.clock.now().toUTC().toISO() as string;
          await deps.announcer
            .announce(channel, { kind: 'job_failed', job: 'reminder-sweep', at, reason })
            .catch((announceError: unknown) => deps.logger.error({ err: announceError }, 'could not announce the failed sweep'));
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
