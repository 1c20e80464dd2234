import { AccessDeniedError } from '../../../access/authorize.js';
import { describeWhoMay } from '../../../access/permissions.js';
import { describeError, isRotorError } from '../../../core/errors.js';
import { slashCommandOf } from '../../../core/next-step.js';
import { PreflightBlockedError, StaleRotationError } from '../../../rotation/rotation-service.js';
import type { RejectCleanupFailedError } from '../../../rotation/rotation-errors.js';
import { code, escapeMrkdwn, mention } from '../mrkdwn.js';
import type { Flash } from './rotation-modal.js';

/**
 * A refusal or failure as the modal says it, as mrkdwn: everything quoted is escaped, and a
 * refusal names who may do it instead (as mentions).
 */
export function problemText(error: unknown): string {
  if (error instanceof AccessDeniedError) return `${escapeMrkdwn(error.reason)} ${describeWhoMay(error.whoMay)}`;
  if (error instanceof PreflightBlockedError) return escapeMrkdwn(error.message);
  return escapeMrkdwn(describeError(error, slashCommandOf));
}

/**
 * What a person sees when an action in the modal is refused: the current state with the reason
 * on top. A stale view is refreshed to where the rotation stands.
 */
export function flashFor(error: unknown): Flash {
  if (error instanceof StaleRotationError) return { kind: 'info', text: escapeMrkdwn(error.message) };
  return {
    kind: 'error',
    text: isRotorError(error)
      ? problemText(error)
      : 'Something went wrong inside Rotor. It has been logged; try again, and tell a Rotor admin if it keeps happening.',
  };
}

/**
 * What another person's open modal says when it is redrawn after someone's change: without it,
 * the loser of a race (two people ticking one step) could have the refusal they were shown
 * replaced by the winner's redraw, and never learn why their click did nothing.
 */
export function changedByFlash(userId: string): Flash {
  return { kind: 'info', text: `${mention(userId)} just changed this rotation; this is where it stands now.` };
}

/**
 * What the approver whose rejection could not clean up sees: nothing was recorded, and who was
 * asked to finish (cleaning up by hand is the rotator's choice, at Abandon, not theirs).
 * `told`: whether the rotator's DM went out; if not, the approver is asked to pass it on.
 */
export function rejectCleanupFlash(error: RejectCleanupFailedError, told: boolean): Flash {
  const stillOpen = `${escapeMrkdwn(error.failure.problem)} Nothing was recorded: the rotation of ${code(error.secretName)} is still open.`;
  if (!error.rotator) return { kind: 'error', text: escapeMrkdwn(error.message) };
  const asked = told
    ? `${mention(error.rotator)}, who runs it, was asked to clean up at the provider and abandon it.`
    : `Rotor could not tell ${mention(error.rotator)}, who runs it: ask them to clean up at the provider and abandon it.`;
  return { kind: 'error', text: `${stillOpen} ${asked}` };
}
