import type { Hint } from '../core/next-step.js';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { Secret } from '../inventory/secret.js';
import type { RotationRecord } from './rotation.js';

/**
 * What another concept that follows rotations may be told or asked: an incident follows its
 * emergency rotation, a Workflow Builder step its rotation, a plan its variants.
 */
export interface RotationSubscriber {
  /**
   * Told of every change inside its transaction, with the rotation as it now is and the change's
   * audit events: the follower's writes and the rotation's commit together or not at all.
   */
  onRotationChange?(record: RotationRecord, events: readonly AuditEventInput[]): void;
  /** Why a scheduled rotation of this secret may not start yet (a plan's earlier variant is not verified), or null. */
  startGate?(secret: Secret): Hint | null;
}

/**
 * The port through which rotations are followed. It exists before the rotation service, which
 * publishes to it; followers built after the rotation service (they start rotations through it)
 * subscribe at composition (runtime.ts), and are told in the order they subscribed.
 */
export class RotationSubscriptions {
  private readonly subscribers: RotationSubscriber[] = [];

  subscribe(subscriber: RotationSubscriber): void {
    this.subscribers.push(subscriber);
  }

  /** Inside the change's transaction: a follower that throws rolls the change back. */
  changed(record: RotationRecord, events: readonly AuditEventInput[]): void {
    for (const subscriber of this.subscribers) subscriber.onRotationChange?.(record, events);
  }

  /** The first follower's reason to hold a scheduled start back, or null when none has one. */
  startGate(secret: Secret): Hint | null {
    for (const subscriber of this.subscribers) {
      const reason = subscriber.startGate?.(secret) ?? null;
      if (reason) return reason;
    }
    return null;
  }
}
