import { RotorError } from '../core/errors.js';
import type { PreflightCheck, RotationRecord } from './rotation.js';

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
        .map((check) => check.message)
        .join(' ')}`,
    );
    this.name = 'PreflightBlockedError';
  }
}

/** Abandoning could not undo what the rotation left at the provider: the person may do it by hand and say so. */
export class CleanupFailedError extends RotorError {
  constructor(message: string, cause: unknown) {
    super('provider', message, { cause });
    this.name = 'CleanupFailedError';
  }
}
