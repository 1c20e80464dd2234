import { type Clock, isoInstant } from '../core/clock.js';
import type { FollowUpHandler } from '../follow-ups/follow-up.js';
import type { StepCompleter } from './step-run.js';
import type { StepRunRepo } from './step-run-repo.js';
import { STEP_COMPLETION_FOLLOW_UP } from './workflow-step-service.js';

/**
 * Tells Slack how a step ended, with the result fixed when it ended. A run a crash interrupted
 * is sent again: Slack takes a completion once and answers a second one
 * `execution_not_in_running_state`, which ends the run as `gone` with that note.
 */
export function stepCompletionHandler(repo: StepRunRepo, completer: StepCompleter, clock: Clock): FollowUpHandler {
  return {
    kind: STEP_COMPLETION_FOLLOW_UP,
    async run(followUp) {
      const executionId = String(followUp.payload.execution ?? '');
      const run = repo.get(executionId);
      if (!run || run.state !== 'settling' || !run.result) return { outcome: { skipped: run?.state ?? 'unknown' } };
      const answer = await completer.complete(executionId, run.result);
      const state = answer !== 'done' ? 'gone' : run.result.kind === 'success' ? 'completed' : 'failed';
      repo.end(executionId, state, answer === 'done' ? null : answer, isoInstant(clock.now()));
      return { outcome: { answer, result: run.result.kind } };
    },
    reconcile: () => Promise.resolve(null),
  };
}
