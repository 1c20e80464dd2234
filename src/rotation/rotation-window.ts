import { DateTime } from 'luxon';
import type { RotationRecord, RotationStep } from './rotation.js';

/**
 * A planned window (issue 23 item 4): when a rotation is expected to run, how long, and what its
 * consumers should expect. Outside it the checklist's irreversible steps (those that wait for the
 * approvals: they change something outside the store) stay locked, unless an approver overrode
 * the window with a reason.
 */
export interface RotationWindow {
  id: number;
  rotationId: number;
  environment: string;
  startsAt: string;
  endsAt: string;
  impact: string;
  plannedBy: string;
  plannedAt: string;
  override: { by: string; reason: string; at: string } | null;
}

/** The rotation's current window, for the rotation service: it locks steps by it and shows it. */
export interface RotationWindowReader {
  current(rotationId: number): RotationWindow | null;
}

/** Whether `at` falls inside the window (from its start, up to its end). */
export function isInsideWindow(window: Pick<RotationWindow, 'startsAt' | 'endsAt'>, at: DateTime): boolean {
  const instant = at.toMillis();
  return instant >= DateTime.fromISO(window.startsAt).toMillis() && instant < DateTime.fromISO(window.endsAt).toMillis();
}

/**
 * Why the step may not be done now, or null: an irreversible step of a rotation with a window,
 * outside the window, when no approver overrode it. An emergency has no window lock.
 */
export function windowLock(record: RotationRecord, step: RotationStep, window: RotationWindow | null, now: DateTime): string | null {
  if (!window || window.override || step.gate !== 'approval' || record.rotation.kind === 'emergency') return null;
  if (isInsideWindow(window, now)) return null;
  const when = DateTime.fromISO(window.startsAt).toMillis() > now.toMillis() ? 'has not started yet' : 'is over';
  return `“${step.title}” is irreversible and the planned window (${window.startsAt} to ${window.endsAt}) ${when}, so it stays locked until the window. An approver may override the window, with a reason.`;
}
