import type { RotorError } from '../core/errors.js';
import { slashCommandOf, withNextStep, type NextStep, type NextStepWords } from '../core/next-step.js';
import type { RotationStep } from './rotation.js';

/**
 * What a failed step keeps of its error: what went wrong, and the next step as data beside it, so
 * the modal, `rotor rotations show` and the evidence each say it in their own words.
 */
export function stepErrorOf(error: Pick<RotorError, 'brief' | 'message' | 'next'>): { lastError: string; lastErrorNext: NextStep | null } {
  return error.next ? { lastError: error.brief, lastErrorNext: error.next } : { lastError: error.message, lastErrorNext: null };
}

/**
 * A step's last error in a surface's words (by default Slack's); null when the step has none. A
 * row written before its next step was kept apart (migration 0024) reads as it was stored.
 */
export function sayLastError(
  step: Pick<RotationStep, 'lastError' | 'lastErrorNext'>,
  words: NextStepWords = slashCommandOf,
): string | null {
  if (step.lastError === null) return null;
  return step.lastErrorNext ? withNextStep(step.lastError, step.lastErrorNext, words) : step.lastError;
}
