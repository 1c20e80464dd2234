/**
 * A rotation needed by a date for a reason other than the calendar: a person who could read the
 * value left or changed role, a break-glass credential was used, a release is coming. It stands
 * until the secret's next completed rotation (see migrations/0014_rotation_triggers.sql).
 */
export const NEED_REASONS = ['personnel_change', 'break_glass_use', 'release'] as const;
export type NeedReason = (typeof NEED_REASONS)[number];

export interface RotationNeed {
  id: number;
  secretId: number;
  secretName: string;
  reason: NeedReason;
  /** ISO instant the rotation is due by. */
  dueAt: string;
  /** Who the cause is about: the person who left or changed role, who used the credential. */
  person: string | null;
  /** What happened (`deactivated`, the roles left), or the reason a person gave for a use. */
  detail: string | null;
  /** What raised it: one personnel change, one use, one release check. */
  origin: string;
  createdBy: string;
  createdAt: string;
  resolvedAt: string | null;
}

/** A need to record: one secret, one cause. */
export interface NeedRequest {
  secretId: number;
  reason: NeedReason;
  dueAt: string;
  person: string | null;
  detail: string | null;
  origin: string;
}

/** A used break-glass credential must be rotated within the policy's hours: its reminders cannot be snoozed. */
export function isSnoozable(reason: NeedReason): boolean {
  return reason !== 'break_glass_use';
}

/** The UTC day a need is due: reminders and lists count in days, as they do for a secret's next rotation. */
export function dueDayOf(need: Pick<RotationNeed, 'dueAt'>): string {
  return need.dueAt.slice(0, 10);
}

/** The need that sets a secret's date: the earliest due. */
export function earliestNeed<T extends Pick<RotationNeed, 'dueAt'>>(needs: readonly T[]): T | null {
  let earliest: T | null = null;
  for (const need of needs) if (earliest === null || need.dueAt < earliest.dueAt) earliest = need;
  return earliest;
}

/** A secret's due day with its open needs: the earlier of its next rotation and its earliest need. */
export function effectiveDueDay(nextRotation: string, needs: readonly Pick<RotationNeed, 'dueAt'>[]): string {
  const need = earliestNeed(needs);
  return need && dueDayOf(need) < nextRotation ? dueDayOf(need) : nextRotation;
}

const REASON_WORDS: Readonly<Record<NeedReason, string>> = {
  personnel_change: 'personnel change',
  break_glass_use: 'break-glass use',
  release: 'release',
};

export function reasonWords(reason: NeedReason): string {
  return REASON_WORDS[reason];
}
