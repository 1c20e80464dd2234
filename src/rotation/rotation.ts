import { slashCommandOf, withNextStep, type NextStep, type NextStepWords } from '../core/next-step.js';
import type { Lifecycle, ProviderKind } from '../inventory/secret.js';
import type { StoreBinding } from '../providers/store-binding.js';
import type { ChecklistStep } from './checklists/checklist-step.js';
import type { ChecklistSource } from './checklists/resolve-checklist.js';

/**
 * A rotation's life: it opens awaiting approval (when its environment needs approvals) or in
 * progress, and ends completed, abandoned (with a reason), rejected by an approver, or — after
 * completing, within the retention window — rolled back.
 */
export const ROTATION_STATES = ['awaiting_approval', 'in_progress', 'completed', 'abandoned', 'rejected', 'rolled_back'] as const;
export type RotationState = (typeof ROTATION_STATES)[number];

/** States in which a rotation holds its secret (one per secret, enforced by a unique index). */
export const OPEN_STATES: readonly RotationState[] = ['awaiting_approval', 'in_progress'];

export function isOpen(state: RotationState): boolean {
  return OPEN_STATES.includes(state);
}

/** Scheduled: the guided rotation. Emergency: the one a revocation starts, with the emergency checklist. */
export type RotationKind = 'scheduled' | 'emergency';

/** Why a rotation was done (issue 23): shown in its modal, announcement and evidence, and in `rotor report rotations`. */
export const ROTATION_REASONS = ['scheduled', 'compromise', 'personnel_change', 'release', 'break_glass_use', 'manual'] as const;
export type RotationReason = (typeof ROTATION_REASONS)[number];

const REASON_WORDS: Readonly<Record<RotationReason, string>> = {
  scheduled: 'scheduled',
  compromise: 'suspected compromise',
  personnel_change: 'personnel change',
  release: 'before a release',
  break_glass_use: 'after a break-glass use',
  manual: 'manual',
};

/** The reason in words, for people. */
export function rotationReasonWords(reason: RotationReason): string {
  return REASON_WORDS[reason];
}

/** A built-in approver role (APPROVER_ROLES) or one the policy defines under `roles:`. */
export type ApproverRole = string;

/** A step in a rotation: its snapshot from the checklist, and what happened to it. */
export interface RotationStep extends ChecklistStep {
  position: number;
  /** `running`: a provider action is under way (or its runner died; see the service's stale rule). */
  state: 'pending' | 'running' | 'done' | 'skipped';
  startedAt: string | null;
  doneBy: string | null;
  doneAt: string | null;
  note: string | null;
  skipReason: string | null;
  /** What the provider answered (version ids, fingerprints, labels); never a value. */
  result: Record<string, unknown> | null;
  attempts: number;
  /**
   * The last failure, shown in the modal with what to do; cleared when the step succeeds. What
   * went wrong, with the next step beside it in `lastErrorNext`; a row written before migration
   * 0024 has the whole text here, in Slack's words, and no `lastErrorNext`. Said by sayLastError.
   */
  lastError: string | null;
  /** What to do about the last failure, as data each surface says in its words (core/next-step.ts); absent or null: none. */
  lastErrorNext?: NextStep | null;
}

export interface Approval {
  role: ApproverRole;
  decision: 'approved' | 'rejected';
  decidedBy: string;
  decidedAt: string;
  reason: string | null;
}

export interface PreflightCheck {
  check: string;
  status: 'ok' | 'warning' | 'blocking';
  /** What the check found; with `next`, what to do is said apart, in each surface's words (sayCheck). */
  message: string;
  next?: NextStep;
}

/** A preflight finding in a surface's words (by default Slack's): what it found, then what to do, if any. */
export function sayCheck(check: PreflightCheck, words: NextStepWords = slashCommandOf): string {
  return check.next ? withNextStep(check.message, check.next, words) : check.message;
}

export interface Rotation {
  id: number;
  secretId: number;
  secretName: string;
  kind: RotationKind;
  /** Why it was done; rotations begun before reasons were recorded read as `compromise` (emergency) or `scheduled`. */
  reason: RotationReason;
  state: RotationState;
  /** Bumped by every change: a click carrying an older version is refused and its view refreshed. */
  version: number;
  ticket: string | null;
  environment: string;
  provider: ProviderKind;
  providerRef: string | null;
  requiredApprovals: ApproverRole[];
  checklistSource: ChecklistSource;
  preflight: PreflightCheck[];
  startedBy: string;
  startedAt: string;
  /** Who is driving it now: the starter, or whoever continued it last. */
  heldBy: string;
  updatedAt: string;
  /** The version current when the rotation started, and its fingerprint. */
  previousVersionId: string | null;
  previousFingerprint: string | null;
  newVersionId: string | null;
  newFingerprint: string | null;
  /** AWS, emergency, disable now: the generated version made current so the compromised one could go. */
  placeholderVersionId: string | null;
  promotedAt: string | null;
  verifiedAt: string | null;
  /** The schedule before the rotation, restored by a rollback. */
  previousLastRotated: string | null;
  previousNextRotation: string;
  /** The lifecycle before the rotation (active, or compromised for an emergency), restored when it ends unfinished. */
  previousLifecycle: Lifecycle;
  completedAt: string | null;
  endedAt: string | null;
  endedBy: string | null;
  endReason: string | null;
  /** An emergency rotation goes ahead without approvals; who broke the glass and why is recorded. */
  breakGlassBy: string | null;
  breakGlassReason: string | null;
  incidentId: number | null;
}

/** A rotation with everything about it: what views, evidence and the rules work on. */
export interface RotationRecord {
  rotation: Rotation;
  steps: RotationStep[];
  approvals: Approval[];
}

/** The store secret the rotation works on: the reference captured when it started, whatever the inventory says now. */
export function storeBindingOf(rotation: Pick<Rotation, 'secretName' | 'provider' | 'providerRef'>): StoreBinding {
  return { name: rotation.secretName, provider: rotation.provider, providerRef: rotation.providerRef };
}
