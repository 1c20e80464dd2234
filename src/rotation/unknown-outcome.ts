import { OutcomeUnknownError, RotorError } from '../core/errors.js';
import type { StepAction } from './checklists/checklist-step.js';
import type { RotationStep } from './rotation.js';

/**
 * The steps that write to the store. When the store's answer to one of them is lost (a timeout:
 * the request may well have been carried out), nobody knows whether the store changed, so the
 * step is not put back as "not done": it stays running with its outcome unknown, and the store is
 * asked (the running-step reconciliation: the step executor's inspect, steps/step-runner.ts) at once from the modal, by the
 * step's follow-up, and before a revocation. Steps that only read are simply run again.
 */
const WRITING_ACTIONS: ReadonlySet<StepAction> = new Set(['create_version', 'promote', 'disable_compromised']);

/** Whether `error`, from running `step`, leaves what the store did unknown: a write's answer was lost (the providers say so with OutcomeUnknownError). */
export function isOutcomeUnknown(step: Pick<RotationStep, 'action'>, error: unknown): boolean {
  if (!step.action || !WRITING_ACTIONS.has(step.action)) return false;
  return answerWasLost(error);
}

/** Whether a store write failed with its answer lost (the providers say so with OutcomeUnknownError, maybe as a cause). */
export function answerWasLost(error: unknown): boolean {
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth += 1) {
    if (cause instanceof OutcomeUnknownError) return true;
  }
  return false;
}

/** Whether a running step's outcome is known to be unknown (its answer was lost, its runner gave up waiting). */
export function outcomeWasLost(step: Pick<RotationStep, 'result'>): boolean {
  return step.result?.outcomeUnknown === true;
}

/** What the person is told: the store may or may not have done it, and how to find out. */
export function outcomeUnknownError(step: Pick<RotationStep, 'title'>, failure: RotorError): RotorError {
  return new RotorError(
    failure.code,
    `${failure.message} Whether “${step.title}” happened at the store is unknown: nothing is decided until the store is asked.`,
    {
      cause: failure,
      next: { kind: 'action', action: 'check_store', args: [], lead: '', purpose: '(Rotor also asks it by itself in a few minutes)' },
    },
  );
}

/** A step's result for a new run: the lost answer of an earlier one no longer applies. */
export function withoutLostOutcome(result: RotationStep['result']): Record<string, unknown> {
  const { outcomeUnknown: _lost, ...rest } = result ?? {};
  return rest;
}
