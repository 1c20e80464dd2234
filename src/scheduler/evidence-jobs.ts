import type { Clock } from '../core/clock.js';
import { scheduleDueArchives } from '../evidence-archive/archive-follow-ups.js';
import type { EvidenceArchiveService } from '../evidence-archive/evidence-archive-service.js';
import type { FollowUpRepo } from '../follow-ups/follow-up-repo.js';
import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import { scheduleDueProvenance } from '../provenance/provenance-follow-ups.js';
import type { ProvenanceService } from '../provenance/provenance-service.js';
import type { JobDefinition, JobLogger } from './job-scheduler.js';

interface SweepDeps {
  followUps: FollowUpService;
  repo: FollowUpRepo;
  clock: Clock;
  /** ROTOR_FOLLOW_UP_CRON: what ended is found as often as follow-ups are done. */
  schedule: string;
  logger: JobLogger;
}

/**
 * A job that finds work the rotation code left behind (a rotation that ended, an incident that
 * closed) and schedules a durable follow-up for each piece, then does them at once. Retries,
 * backoff and the announcement of a failure are the follow-ups'.
 */
function findAndFollowUp(name: string, find: () => number, deps: SweepDeps): JobDefinition {
  return {
    name,
    schedule: deps.schedule,
    runAtStart: true,
    run: async () => {
      const scheduled = find();
      if (scheduled === 0) return;
      deps.logger.info({ job: name, scheduled }, 'follow-ups scheduled');
      await deps.followUps
        .sweep()
        .catch((error: unknown) =>
          deps.logger.error({ job: name, err: error }, 'the follow-up sweep after scheduling failed; the next one retries'),
        );
    },
  };
}

/** Evidence records (rotations, incidents, monthly reports) due for the archive. */
export function evidenceArchiveJob(deps: SweepDeps & { archive: EvidenceArchiveService }): JobDefinition {
  return findAndFollowUp(
    'evidence-archive',
    () => scheduleDueArchives({ archive: deps.archive, followUps: deps.followUps, repo: deps.repo }, deps.clock.now()),
    deps,
  );
}

/** Completed rotations whose store secret is not tagged yet. */
export function provenanceTagsJob(deps: SweepDeps & { provenance: ProvenanceService }): JobDefinition {
  return findAndFollowUp(
    'provenance-tags',
    () => scheduleDueProvenance({ provenance: deps.provenance, followUps: deps.followUps, repo: deps.repo }, deps.clock.now()),
    deps,
  );
}
