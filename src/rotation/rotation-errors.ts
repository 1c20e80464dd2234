import { RotorError } from '../core/errors.js';
import { sayCheck, type PreflightCheck, type RotationRecord } from './rotation.js';

/** A click from a view older than the rotation: refused, and the view is refreshed. */
export class StaleRotationError extends RotorError {
  constructor(readonly record: RotationRecord) {
    super(
      'conflict',
      `Someone changed the rotation of ${record.rotation.secretName} while you were looking (it is now at version ${record.rotation.version}); the view shows where it stands now. Try again if it still applies.`,
    );
    this.name = 'StaleRotationError';
  }
}

/** The preflight found something to fix before the rotation may start. */
export class PreflightBlockedError extends RotorError {
  constructor(
    readonly secretName: string,
    readonly checks: PreflightCheck[],
  ) {
    super(
      'conflict',
      `${secretName} cannot be rotated yet: ${checks
        .filter((check) => check.status === 'blocking')
        .map((check) => sayCheck(check))
        .join(' ')}`,
    );
    this.name = 'PreflightBlockedError';
  }
}

/** What a cleanup that failed tells: what went wrong, how to try again, and what to do at the store by hand. */
export interface CleanupFailure {
  /** What went wrong, with its cause, e.g. “Could not clean up … (Vault is sealed).” */
  problem: string;
  /** How to try again, e.g. “Try again when Vault answers”. */
  retry: string;
  /** What a person does at the store instead, e.g. a command to run. */
  byHand: string;
}

/** Abandoning could not undo what the rotation left at the provider: the person may do it by hand and say so. */
export class CleanupFailedError extends RotorError {
  constructor(
    readonly failure: CleanupFailure,
    cause: unknown,
  ) {
    super('provider', `${failure.problem} Nothing was recorded.`, {
      cause,
      next: {
        kind: 'action',
        action: 'abandon_by_hand',
        args: [],
        lead: `${failure.retry}, or do it by hand (${failure.byHand}) and then`,
      },
    });
    this.name = 'CleanupFailedError';
  }
}

/**
 * A rejection whose cleanup at the provider failed: nothing was recorded and the rotation stays
 * open. Cleaning up by hand is its rotator's choice (Abandon), not the approver's, so the rotator
 * is asked to, and the approver is told so.
 */
export class RejectCleanupFailedError extends RotorError {
  constructor(
    readonly secretName: string,
    /** Who runs the rotation and is asked to clean up; null when Rotor runs it and the secret has no owner. */
    readonly rotator: string | null,
    readonly failure: CleanupFailure,
    cause: unknown,
  ) {
    super(
      'provider',
      `${failure.problem} Nothing was recorded: the rotation of ${secretName} is still open. ${
        rotator
          ? `Its rotator (${rotator}) is asked to clean up at the provider and abandon it.`
          : 'Rotor runs it and the secret has no owner to ask: whoever may abandon it cleans up at the provider and abandons it.'
      }`,
      { cause },
    );
    this.name = 'RejectCleanupFailedError';
  }
}
