import type { Lifecycle, Secret } from '../inventory/secret.js';

/**
 * Lifecycles whose secrets are reminded; retired ones never are. A secret being rotated still is
 * (a rotation can stall past the due date), and its reminders say who is rotating it.
 */
export const REMINDED_LIFECYCLES = ['active', 'compromised', 'rotating'] as const satisfies readonly Lifecycle[];

export function isReminded(lifecycle: Lifecycle): boolean {
  return (REMINDED_LIFECYCLES as readonly Lifecycle[]).includes(lifecycle);
}

/** How a secret is reminded in its current lifecycle. */
export type Treatment =
  | { kind: 'rotation'; dueDate: string }
  /** Counted like an active secret's, from its next rotation; `heldBy` is who is rotating it (null if no open rotation says). */
  | { kind: 'rotating'; dueDate: string; heldBy: string | null }
  /** Overdue from the day it was marked (or its due date, if that came first) until it is rotated. */
  | { kind: 'compromised'; dueDate: string; markedOn: string };

/**
 * The date a secret's reminders count from, by lifecycle, or null for a secret not reminded.
 * `lifecycleSince` is when the secret entered its current lifecycle (the audit log knows); without
 * it the last change of the secret stands in, which is no earlier than the marking.
 * `rotationHeldBy` is who holds the secret's open rotation, if any.
 */
export function treatmentOf(
  secret: Pick<Secret, 'lifecycle' | 'nextRotation' | 'updatedAt'>,
  lifecycleSince: string | null,
  rotationHeldBy: string | null = null,
): Treatment | null {
  switch (secret.lifecycle) {
    case 'active':
      return { kind: 'rotation', dueDate: secret.nextRotation };
    case 'rotating':
      return { kind: 'rotating', dueDate: secret.nextRotation, heldBy: rotationHeldBy };
    case 'compromised': {
      const markedOn = lifecycleDay(secret, lifecycleSince);
      return { kind: 'compromised', dueDate: markedOn < secret.nextRotation ? markedOn : secret.nextRotation, markedOn };
    }
    default:
      return null;
  }
}

/** The UTC day a secret entered its current lifecycle (its last change when the log does not say). */
export function lifecycleDay(secret: Pick<Secret, 'updatedAt'>, lifecycleSince: string | null): string {
  return (lifecycleSince ?? secret.updatedAt).slice(0, 10);
}
