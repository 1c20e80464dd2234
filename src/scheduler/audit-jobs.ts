import type { AuditCheckpoint } from '../audit/audit-checkpoint.js';
import type { AuditPublisher } from '../audit/audit-publisher.js';
import type { DailyCheckpoints } from '../audit/daily-checkpoints.js';
import type { JobDefinition, JobLogger } from './job-scheduler.js';

/** Every two seconds: picks up events the CLI (or another process) wrote. */
export const AUDIT_PUBLISH_SCHEDULE = '*/2 * * * * *';
/** Daily, shortly after midnight UTC (and at start-up when today has none yet). */
export const AUDIT_CHECKPOINT_SCHEDULE = '5 0 * * *';

/** Publishes audit events written outside this process to the log stream; at start-up, the ones missed. */
export function auditPublishJob(deps: { publisher: AuditPublisher }): JobDefinition {
  return {
    name: 'audit-publish',
    schedule: AUDIT_PUBLISH_SCHEDULE,
    runAtStart: true,
    run: async () => {
      deps.publisher.publishPending();
    },
  };
}

/** The daily signed checkpoint of the audit head, handed to `post` (the announcement channel). */
export function auditCheckpointJob(deps: {
  checkpoints: Pick<DailyCheckpoints, 'claim' | 'release'>;
  post: (checkpoint: AuditCheckpoint) => Promise<unknown>;
  logger: JobLogger;
}): JobDefinition {
  return {
    name: 'audit-checkpoint',
    schedule: AUDIT_CHECKPOINT_SCHEDULE,
    runAtStart: true,
    run: async () => {
      const checkpoint = deps.checkpoints.claim();
      if (!checkpoint) return;
      try {
        await deps.post(checkpoint);
        deps.logger.info({ job: 'audit-checkpoint', seq: checkpoint.seq }, 'audit checkpoint posted');
      } catch (error) {
        deps.checkpoints.release(checkpoint);
        deps.logger.error({ job: 'audit-checkpoint', err: error }, 'could not post the audit checkpoint; the next run tries again');
      }
    },
  };
}
