import type { Lifecycle, Secret } from '../inventory/secret.js';

/** Lifecycles whose secrets are reminded; retired ones never are, rotating ones not yet. */
export const REMINDED_LIFECYCLES = ['active', 'compromised'] as const satisfies readonly Lifecycle[];

export function isReminded(lifecycle: Lifecycle): boolean {
  return (REMINDED_LIFECYCLES as readonly Lifecycle[]).includes(lifecycle);
}

/** How a secret is reminded in its current lifecycle. */
export type Treatment =
  | { kind: 'rotation'; dueDate: string }
  /** Overdue from the day it was marked (or its due date, if that came first) until it is rotated. */
  | { kind: 'compromised'; dueDate: string; markedOn: string };

/**
 * The date a secret's reminders count from, by lifecycle, or null for a secret not reminded.
 * `lifecycleSince` is when the secret entered its current lifecycle (the audit log knows); without
 * it the last change of the secret stands in, which is no earlier than the marking.
 */
export function treatmentOf(secret: Secret, lifecycleSince: string | null): Treatment | null {
  switch (secret.lifecycle) {
    case 'active':
      return { kind: 'rotation', dueDate: secret.nextRotation };
    case 'compromised': {
      const markedOn = lifecycleDay(secret, lifecycleSince);
      return { kind: 'compromised', dueDate: markedOn < secret.nextRotation ? markedOn : secret.nextRotation, markedOn };
    }
    default:
      return null;
  }
}

/** The UTC day a secret entered its current lifecycle (its last change when the log does not say). */
export function lifecycleDay(secret: Secret, lifecycleSince: string | null): string {
  return (lifecycleSince ?? secret.updatedAt).slice(0, 10);
}
