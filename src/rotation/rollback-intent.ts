import { DateTime } from 'luxon';
import type { AuditEvent } from '../audit/audit-event.js';
import type { RotationRecord } from './rotation.js';
import { STEP_LEASE_MINUTES } from './steps/step-lease.js';

/**
 * A rollback moves the store back before Rotor can record it, so, like a provider step, it is
 * made durable first: its intent (who, why, what they confirmed, a request token) is recorded in
 * the audit trail, with a follow-up due after its lease, before the store is called. Until the
 * rotation is recorded rolled back or the intent is settled as not done, the rollback is in
 * progress; once its lease is over, its outcome is unknown and the store is asked (the
 * follow-up, or "Check the store" in the modal).
 */
export const ROLLBACK_STARTED = 'rotation.rollback_started';
/** The store did not move (refused, or found unmoved afterwards): the rotation stays completed. */
export const ROLLBACK_NOT_DONE = 'rotation.rollback_not_done';

export interface RollbackIntent {
  requestToken: string;
  by: string;
  at: string;
  reason: string;
  confirmed: { id: string; label: string }[];
}

/** The rollback started on the rotation (its events, oldest first) and neither recorded nor settled since; null when none. */
export function unsettledRollback(events: readonly AuditEvent[]): RollbackIntent | null {
  let intent: RollbackIntent | null = null;
  for (const event of events) {
    if (event.action === ROLLBACK_STARTED && typeof event.details.requestToken === 'string') {
      const confirmed = Array.isArray(event.details.confirmed) ? (event.details.confirmed as RollbackIntent['confirmed']) : [];
      intent = {
        requestToken: event.details.requestToken,
        by: event.actor,
        at: event.at,
        reason: typeof event.details.reason === 'string' ? event.details.reason : '',
        confirmed,
      };
    } else if (event.action === ROLLBACK_NOT_DONE || event.action === 'rotation.rolled_back') {
      intent = null;
    }
  }
  return intent;
}

/** When nobody waits any more for the rollback's store call: then the store is asked. */
export function rollbackLeaseEnd(intent: Pick<RollbackIntent, 'at'>): DateTime {
  return DateTime.fromISO(intent.at, { zone: 'utc' }).plus({ minutes: STEP_LEASE_MINUTES });
}

/** What a view says of an unsettled rollback: who started it and when, and whether the store may be asked now. */
export interface RollbackInDoubt {
  record: RotationRecord;
  by: string;
  at: string;
  /** The end of its lease: from then on, "Check the store". */
  checkableAt: string;
  checkable: boolean;
}
