import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import type { ReviewService } from '../reviews/review-service.js';
import type { JobDefinition, JobLogger } from './job-scheduler.js';

/**
 * Starts the reviews owed today (src/reviews/review-periods.ts), on ROTOR_FOLLOW_UP_CRON, then
 * sweeps the follow-ups that post them. Not at start-up: the first tick is a minute away by
 * default, and a review is started once per period however often this runs.
 */
export function reviewJob(deps: {
  reviews: ReviewService;
  followUps: FollowUpService;
  schedule: string;
  logger: JobLogger;
}): JobDefinition {
  return {
    name: 'reviews',
    schedule: deps.schedule,
    runAtStart: false,
    run: async () => {
      const started = deps.reviews.startDue();
      if (started.length === 0) return;
      deps.logger.info({ job: 'reviews', started: started.map((review) => `${review.kind} ${review.period}`) }, 'reviews started');
      await deps.followUps
        .sweep()
        .catch((error: unknown) =>
          deps.logger.error({ job: 'reviews', err: error }, 'the follow-up sweep after starting reviews failed; the next one retries'),
        );
    },
  };
}
