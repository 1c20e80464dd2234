import { RotorError } from '../../core/errors.js';
import type { StepExecutor } from './step-executor.js';

/** Schedules the offer to remove the previous version at the end of the retention window; the store is not touched. */
export const scheduleRemoval: StepExecutor = {
  async run({ record, now }, deps) {
    const { rotation } = record;
    if (!rotation.promotedAt)
      throw new RotorError(
        'conflict',
        'The new version is not live yet, so the removal of the previous one cannot be scheduled; promote it first.',
      );
    const request = deps.removalFollowUp(record, now);
    return { result: { removalDueAt: request.dueAt, previousVersionId: rotation.previousVersionId }, change: {}, followUps: [request] };
  },

  async inspect() {
    return { kind: 'rerun' };
  },
};
