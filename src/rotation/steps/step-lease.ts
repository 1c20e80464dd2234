import { DateTime } from 'luxon';
import type { RotationStep } from '../rotation.js';

/**
 * A provider step is marked `running` before its call and recorded after it: a runner that died
 * in between (a crash, a kill, a deploy) leaves the step running while the store may or may not
 * have changed. Past this lease nobody is still waiting for the call; the store is asked what
 * happened (by a follow-up, or by "Check the store" in the modal), through the step's executor.
 */
export const STEP_LEASE_MINUTES = 3;

export function leaseEnd(step: Pick<RotationStep, 'startedAt'>): DateTime | null {
  return step.startedAt ? DateTime.fromISO(step.startedAt, { zone: 'utc' }).plus({ minutes: STEP_LEASE_MINUTES }) : null;
}

/** Whether nobody waits for a running step's call any more: its lease is over, or its answer was lost (unknown-outcome.ts). */
export function isPastLease(step: Pick<RotationStep, 'state' | 'startedAt' | 'result'>, now: DateTime): boolean {
  const end = leaseEnd(step);
  return step.state === 'running' && (step.result?.outcomeUnknown === true || (end !== null && end <= now));
}
