import type { AutomaticRotationService } from '../automatic-rotation/automatic-rotation-service.js';
import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import type { JobDefinition, JobLogger } from './job-scheduler.js';

/**
 * Finds the automatic secrets that came due (on ROTOR_FOLLOW_UP_CRON and at start-up), schedules
 * the start of each as a durable follow-up, and does them at once: a second replica finds them
 * scheduled already, and the claim lets one of them open each rotation.
 */
export function automaticRotationJob(deps: {
  automatic: AutomaticRotationService;
  followUps: FollowUpService;
  schedule: string;
  logger: JobLogger;
}): JobDefinition {
  return {
    name: 'automatic-rotation',
    schedule: deps.schedule,
    runAtStart: true,
    run: async () => {
      const scheduled = deps.automatic.scheduleDue();
      if (scheduled === 0) return;
      deps.logger.info({ job: 'automatic-rotation', scheduled }, 'automatic rotations scheduled');
      await deps.followUps
        .sweep()
        .catch((error: unknown) =>
          deps.logger.error({ job: 'automatic-rotation', err: error }, 'the follow-up sweep after scheduling failed; the next one retries'),
        );
    },
  };
}
