import type { TargetSetting } from '../targets/target-parsing.js';
import type { DateTime } from 'luxon';
import type { Policy } from '../config/policy.js';
import { daysUntil, deriveStatus } from './schedule.js';
import type { Secret, SecretStatus } from './secret.js';
import { effectiveDueDay, type RotationNeed } from '../rotation-needs/rotation-need.js';

/** A secret as people and scripts read it: stored fields plus what the dates say today. */
export interface SecretSummary {
  name: string;
  status: SecretStatus;
  type: string;
  environment: string;
  service: string;
  owner: string | null;
  backup_owner: string | null;
  team: string | null;
  consumers: string[];
  /** Who may read the value beside the owners: member ids and user group ids (`S…`). */
  access: string[];
  break_glass: boolean;
  provider: string;
  provider_ref: string | null;
  interval_days: number;
  last_rotated: string | null;
  never_rotated: boolean;
  next_rotation: string;
  /** The day it is due: its next rotation, or an open rotation need's day when earlier. */
  due_date: string;
  /** Negative once overdue. */
  days_until_due: number;
  days_overdue: number;
  description: string | null;
  retrieval_instructions: string | null;
  tags: Record<string, string>;
  /** The secret's own setting; null follows the tag and the type's default. */
  value_source: string | null;
  /** The secret's own setting; null follows the policy's value_fields, then `password`. */
  value_field: string | null;
  /** Where Rotor sets the credential (no value, a store reference for the managing credential); null: none in the inventory. */
  target: TargetSetting | null;
  current_version_id: string | null;
  current_fingerprint: string | null;
  /** Rotations needed before its own date and not yet done, soonest first. */
  rotation_needs: { reason: string; due_at: string; person: string | null; detail: string | null; since: string }[];
}

/** The reminder offsets, which make a secret "due soon" (the longest one shorter than its interval: see dueSoonWindow). */
export function dueSoonDays(policy: Policy): readonly number[] {
  return policy.reminders.offsetsDays;
}

/** `needs`: the secret's open rotation needs, which can bring its due date forward. */
export function summarizeSecret(secret: Secret, today: DateTime, policy: Policy, needs: readonly RotationNeed[] = []): SecretSummary {
  const due = effectiveDueDay(secret.nextRotation, needs);
  const days = daysUntil(due, today);
  return {
    name: secret.name,
    status: deriveStatus(secret.lifecycle, due, today, dueSoonDays(policy), secret.intervalDays),
    type: secret.type,
    environment: secret.environment,
    service: secret.service,
    owner: secret.owner,
    backup_owner: secret.backupOwner,
    team: secret.team,
    consumers: secret.consumers,
    access: secret.access,
    break_glass: secret.breakGlass,
    provider: secret.provider,
    provider_ref: secret.providerRef,
    interval_days: secret.intervalDays,
    last_rotated: secret.lastRotated,
    never_rotated: secret.lastRotated === null,
    next_rotation: secret.nextRotation,
    due_date: due,
    days_until_due: days,
    days_overdue: Math.max(0, -days),
    description: secret.description,
    retrieval_instructions: secret.retrievalInstructions,
    tags: secret.tags,
    value_source: secret.valueSource,
    value_field: secret.valueField,
    target: secret.target,
    current_version_id: secret.currentVersionId,
    current_fingerprint: secret.currentFingerprint,
    rotation_needs: needs.map((need) => ({
      reason: need.reason,
      due_at: need.dueAt,
      person: need.person,
      detail: need.detail,
      since: need.createdAt,
    })),
  };
}
