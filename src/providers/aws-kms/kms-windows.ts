import { ValidationError } from '../../core/errors.js';

/** The runbook's wait before an old key is deleted, when the policy names none. */
export const DEFAULT_PENDING_WINDOW_DAYS = 30;

/**
 * KMS deletes a key 7-30 days after `ScheduleKeyDeletion`. Rotor checks the window itself
 * rather than trusting the store to refuse (moto answers `DeletionDate: null` outside it).
 */
export function validatePendingWindow(days: number): void {
  if (!Number.isInteger(days) || days < 7 || days > 30) {
    throw new ValidationError(
      `The pending deletion window of a KMS key must be a whole number of days from 7 to 30; ${days} is not. Set the policy's window within that range.`,
      [{ where: 'pending_window_days', message: 'a whole number from 7 to 30' }],
    );
  }
}

/** KMS's automatic rotation period: 90-2560 days. */
export function validateAutomaticRotationPeriod(days: number): void {
  if (!Number.isInteger(days) || days < 90 || days > 2560) {
    throw new ValidationError(`KMS rotates a key automatically every 90 to 2560 days; ${days} is not a whole number in that range.`, [
      { where: 'rotation_period_days', message: 'a whole number from 90 to 2560' },
    ]);
  }
}
