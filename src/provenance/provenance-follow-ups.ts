import type { DateTime } from 'luxon';
import { RotorError, describeError, isRotorError } from '../core/errors.js';
import type { FollowUpRepo } from '../follow-ups/follow-up-repo.js';
import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import { scheduleUnlessActive } from '../follow-ups/retried-series.js';
import type { ProvenanceService } from './provenance-service.js';

/** The follow-up that tags one completed rotation's store secret. */
export const PROVENANCE_FOLLOW_UP = 'provenance.tag';

/** After a follow-up is given up on (and announced), the sweep starts a new one this much later. */
const RETRY_AFTER_HOURS = 24;

export function provenanceTopic(rotationId: number): string {
  return `provenance:rotation:${rotationId}`;
}

/** The sweep's half: a durable follow-up for each completed rotation whose tags are due. Returns how many it scheduled. */
export function scheduleDueProvenance(
  deps: { provenance: ProvenanceService; followUps: FollowUpService; repo: FollowUpRepo },
  now: DateTime,
): number {
  let scheduled = 0;
  for (const rotationId of deps.provenance.due()) {
    if (
      scheduleUnlessActive(
        deps,
        { kind: PROVENANCE_FOLLOW_UP, topic: provenanceTopic(rotationId), payload: { rotationId } },
        now,
        RETRY_AFTER_HOURS,
      )
    )
      scheduled += 1;
  }
  return scheduled;
}

/** The follow-up's half: writing the same tags again is harmless, so an interrupted run is simply run again. */
export function registerProvenanceFollowUps(followUps: FollowUpService, provenance: ProvenanceService): void {
  followUps.register({
    kind: PROVENANCE_FOLLOW_UP,
    async run(followUp) {
      const rotationId = followUp.payload.rotationId;
      if (typeof rotationId !== 'number')
        throw new RotorError('internal', `Follow-up ${followUp.id} (${PROVENANCE_FOLLOW_UP}) names no rotation.`);
      try {
        const result = await provenance.tag(rotationId);
        return {
          outcome:
            result.status === 'not_completed'
              ? { status: 'not_completed' }
              : { status: result.status, outcome: result.entry.outcome, tags: result.entry.tags },
        };
      } catch (error) {
        throw new RotorError(
          isRotorError(error) ? error.code : 'internal',
          `Could not tag the store secret of rotation #${rotationId} with its provenance: ${describeError(error)}`,
          { cause: error },
        );
      }
    },
    reconcile: () => Promise.resolve(null),
  });
}
