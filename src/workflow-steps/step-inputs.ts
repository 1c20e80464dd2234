import { ValidationError } from '../core/errors.js';
import { refuseUnsafeText } from '../inventory/free-text-guard.js';

export const MAX_STEP_REASON_LENGTH = 500;

/**
 * Why a workflow asks for a rotation: required, bounded, and checked like every free text
 * Rotor keeps (no credential, no hidden characters). It is stored, shown to the requester and
 * audited, so a refusal never echoes it: whoever built the workflow may have pasted anything.
 */
export function parseStepReason(text: unknown): string {
  const reason = typeof text === 'string' ? text.trim() : '';
  if (reason === '')
    throw new ValidationError('The reason is missing: say why the secret should be rotated.', [{ where: 'reason', message: 'required' }]);
  if (reason.length > MAX_STEP_REASON_LENGTH) {
    throw new ValidationError(`The reason is ${reason.length} characters long; at most ${MAX_STEP_REASON_LENGTH}.`, [
      { where: 'reason', message: `keep it under ${MAX_STEP_REASON_LENGTH} characters` },
    ]);
  }
  refuseUnsafeText(reason, { where: 'reason', what: 'reason' });
  return reason;
}

/** A Slack user id as a `slack#/types/user_id` input carries it. */
export function parseUserInput(text: unknown, what: string): string {
  const id = typeof text === 'string' ? text.trim() : '';
  if (!/^[UW][A-Z0-9]{2,20}$/.test(id))
    throw new ValidationError(
      `The ${what} must be a Slack user (a user id such as U012AB3CD); the step got ${id === '' ? 'none' : 'something else'}.`,
      [{ where: what, message: 'not a Slack user id' }],
    );
  return id;
}

/** A required text input, such as the secret's name. */
export function requiredText(text: unknown, what: string): string {
  const value = typeof text === 'string' ? text.trim() : '';
  if (value === '') throw new ValidationError(`The ${what} is missing.`, [{ where: what, message: 'required' }]);
  return value;
}

/** An optional text input: absent, empty or blank is none. */
export function optionalText(text: unknown): string | null {
  const value = typeof text === 'string' ? text.trim() : '';
  return value === '' ? null : value;
}
