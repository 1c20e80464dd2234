import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import type { Announcer } from './announcer.js';
import type { JobDefinition, JobLogger } from './job-scheduler.js';

/** The follow-up sweep (on ROTOR_FOLLOW_UP_CRON and at start-up); a failed sweep is announced. */
export function followUpJob(deps: {
  followUps: FollowUpService;
  announcer: Announcer;
  policy: Policy;
  clock: Clock;
  schedule: string;
  logger: JobLogger;
}): JobDefinition {
  return {
    name: 'follow-up-sweep',
    schedule: deps.schedule,
    runAtStart: true,
    run: async () => {
      try {
        const report = await deps.followUps.sweep();
        deps.logger.info({ job: 'follow-up-sweep', ...report }, 'follow-up sweep finished');
      } catch (error) {
        deps.logger.error({ job: 'follow-up-sweep', err: error }, 'follow-up sweep failed');
        const channel = deps.policy.channels.announce;
        if (!channel) return;
        const reason = error instanceof Error ? error.message : String(error);
        await deps.announcer
          .announce(channel, { kind: 'job_failed', job: 'follow-up-sweep', at: deps.clock.now().toUTC().toISO() as string, reason })
          .catch((announceError: unknown) => deps.logger.error({ err: announceError }, 'could not announce the failed follow-up sweep'));
      }
    },
  };
}
