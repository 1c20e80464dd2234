import { approverRolesHeld, membersOfRole, type GroupMembers } from '../access/role-members.js';
import type { Policy } from '../config/policy.js';
import { RotorError, ValidationError } from '../core/errors.js';
import { checksFailed } from '../checks/check-result.js';
import { refuseUnsafeText } from '../inventory/free-text-guard.js';
import type { Secret } from '../inventory/secret.js';
import { isOpen, type ApproverRole, type RotationKind, type RotationRecord, type RotationStep } from './rotation.js';

/**
 * The rotation's rules as pure functions over a record: what may happen next, and what a
 * person is told when it may not. The service applies them inside its transactions.
 *
 * Rule order for a step: the rotation must be open (not ended, not rejected); steps run
 * strictly in order, so only the first step not yet done or skipped can be acted on; a step
 * being run by the provider waits for that run; a gated step (one that changes something outside
 * the store) waits for the approvals, whatever is asked of it, a skip included (not in an
 * emergency); a provider step is done by running it (a button in Slack), never ticked, though a step at the
 * credential's target may be taken over by hand, with a note saying what the person did; only an
 * optional step can be skipped, and only with a reason.
 */

export const MAX_NOTE_LENGTH = 500;

/**
 * The first step neither done nor skipped; null once every step is settled. In an emergency,
 * disabling the compromised version that failed at the provider does not hold up its
 * replacement: it waits for a retry (or a person) while the next steps go on, and it still
 * blocks completion.
 */
export function currentStep(record: RotationRecord): RotationStep | null {
  const open = record.steps.filter((step) => step.state === 'pending' || step.state === 'running');
  return open.find((step) => !isDeferred(record, step)) ?? open[0] ?? null;
}

/** An emergency's failed disable step, passed over by the order of steps until it is retried. */
export function isDeferred(record: RotationRecord, step: RotationStep): boolean {
  return (
    record.rotation.kind === 'emergency' && step.action === 'disable_compromised' && step.state === 'pending' && step.lastError !== null
  );
}

export function settledSteps(record: RotationRecord): number {
  return record.steps.filter((step) => step.state === 'done' || step.state === 'skipped').length;
}

/** Required roles not yet approved. */
export function missingApprovals(record: RotationRecord): ApproverRole[] {
  const approved = new Set(record.approvals.filter((approval) => approval.decision === 'approved').map((approval) => approval.role));
  return record.rotation.requiredApprovals.filter((role) => !approved.has(role));
}

export function approvalsComplete(record: RotationRecord): boolean {
  return missingApprovals(record).length === 0;
}

/**
 * Approvals the policy asks for before a rotation of `secret` promotes: its environment's, and
 * those its class adds (each tag key it carries, its type); none in an emergency.
 */
export function requiredApprovalsFor(
  policy: Policy,
  secret: Pick<Secret, 'environment' | 'type' | 'tags'>,
  kind: RotationKind,
): ApproverRole[] {
  if (kind === 'emergency') return [];
  const byClass = [
    ...Object.keys(secret.tags).flatMap((tag) => policy.approvalClasses.byTag[tag] ?? []),
    ...(policy.approvalClasses.byType[secret.type] ?? []),
  ];
  return [...new Set([...(policy.approvals[secret.environment] ?? []), ...byClass])];
}

/** The approver roles `userId` holds in the policy (directly or through a user group in `groups`). */
export function approverRolesOf(policy: Policy, userId: string, groups: GroupMembers | null = null): ApproverRole[] {
  return approverRolesHeld(policy, userId, groups);
}

/** Everyone who may fill `role`. */
export function holdersOfRole(policy: Policy, role: ApproverRole, groups: GroupMembers | null = null): readonly string[] {
  return membersOfRole(policy, role, groups);
}

const BUILT_IN_LABELS: Readonly<Record<string, string>> = { security_lead: 'security lead', devops_lead: 'DevOps lead' };

/** A role in words: the built-in ones as people say them, a defined one by its name (privacy_counsel: privacy counsel). */
export function roleLabel(role: ApproverRole): string {
  return BUILT_IN_LABELS[role] ?? role.replaceAll('_', ' ');
}

/**
 * The two-person rule from the implementer's side: who started the rotation, who holds it, and
 * who did or skipped any of its steps worked on it, so none of them may approve it. Returns why
 * `userId` worked on it, or null.
 */
export function workedOn(record: RotationRecord, userId: string): string | null {
  const { rotation } = record;
  if (rotation.heldBy === userId) return 'you are running it';
  if (rotation.startedBy === userId) return 'you started it';
  const step = record.steps.find((candidate) => candidate.doneBy === userId);
  return step ? `you did “${step.title}”` : null;
}

/**
 * Everyone who worked on the rotation (started it, did or skipped a step, held it, abandoned it,
 * or took it over: `tookOver`, from its audit trail), each with why.
 */
export function workersOf(record: RotationRecord, tookOver: readonly string[]): Map<string, string> {
  const { rotation } = record;
  const workers = new Map<string, string>();
  const add = (person: string | null, why: string) => {
    if (person && !workers.has(person)) workers.set(person, why);
  };
  add(rotation.startedBy, 'you started it');
  for (const step of record.steps) if (step.state === 'done' || step.state === 'skipped') add(step.doneBy, `you did “${step.title}”`);
  add(rotation.heldBy, rotation.state === 'completed' ? 'you completed it' : 'you are running it');
  if (rotation.state === 'abandoned') add(rotation.endedBy, 'you abandoned it');
  for (const person of tookOver) add(person, 'you took it over');
  return workers;
}

/** The two-person rule from the approver's side: whoever approved the rotation may not carry it out. */
export function requireNotApprover(record: RotationRecord, userId: string): void {
  const approval = record.approvals.find((candidate) => candidate.decidedBy === userId && candidate.decision === 'approved');
  if (approval) {
    throw new RotorError(
      'forbidden',
      `You approved this rotation as ${roleLabel(approval.role)}, so you cannot also carry it out (two-person rule); ${record.rotation.heldBy} carries it out, or anyone else allowed to rotate ${record.rotation.secretName}.`,
    );
  }
}

export function requireOpen(record: RotationRecord): void {
  const { rotation } = record;
  if (isOpen(rotation.state)) return;
  const by = rotation.endedBy ? ` by ${rotation.endedBy}` : '';
  const why = rotation.endReason ? `: ${rotation.endReason}` : '';
  const what: Record<string, string> = {
    completed: `was completed${by} at ${rotation.completedAt}`,
    abandoned: `was abandoned${by}${why}`,
    rejected: `was rejected${by}${why}`,
    rolled_back: `was rolled back${by}${why}`,
  };
  throw new RotorError(
    'conflict',
    `The rotation of ${rotation.secretName} ${what[rotation.state] ?? rotation.state}; nothing more can be done in it.`,
    { next: { kind: 'run_command', command: 'rotate', args: [rotation.secretName], lead: 'run', purpose: 'to see where it stands' } },
  );
}

export type StepIntent = 'tick' | 'skip' | 'run' | 'by_hand';

/**
 * Rotor's steps a person may take over by hand: those at the credential's target, which a person
 * can do from wherever the target is reachable. The store's steps stay Rotor's: they are how it
 * knows the versions it promotes, verifies and later removes.
 */
export const BY_HAND_ACTIONS: ReadonlySet<string> = new Set(['set_at_target', 'verify_at_target', 'lock_at_target']);

/** A Rotor step a person did by hand instead (its result says so, beside what Rotor's runs left). */
export function doneByHand(step: RotationStep): boolean {
  return step.state === 'done' && step.action !== null && step.result?.byHand === true;
}

/** A gated step while approvals are missing: nothing of it may be done yet. An emergency has no gate. */
export function isLocked(record: RotationRecord, step: RotationStep): boolean {
  return step.gate === 'approval' && record.rotation.kind !== 'emergency' && !approvalsComplete(record);
}

/** The first step that waits for the approvals: where a rotation stops until they are given. */
export function firstGatedStep<T extends { gate: RotationStep['gate'] }>(steps: readonly T[]): T | null {
  return steps.find((step) => step.gate === 'approval') ?? null;
}

/** The step `stepId`, if it may be acted on now in the way asked; otherwise the reason why not. */
export function stepFor(record: RotationRecord, stepId: string, intent: StepIntent, options: { runIsStale?: boolean } = {}): RotationStep {
  requireOpen(record);
  const step = record.steps.find((candidate) => candidate.id === stepId);
  if (!step)
    throw new ValidationError(`This rotation of ${record.rotation.secretName} has no step \`${stepId}\``, [], {
      next: { kind: 'run_command', command: 'rotate', args: [record.rotation.secretName], lead: 'reopen it with' },
    });
  if (step.state === 'done' || step.state === 'skipped') {
    throw new RotorError(
      'conflict',
      `“${step.title}” was already ${step.state === 'done' ? 'done' : 'skipped'} by ${step.doneBy ?? 'someone'} at ${step.doneAt ?? 'an earlier time'}.`,
    );
  }
  const current = currentStep(record);
  if (current && current.id !== step.id && !isDeferred(record, step))
    throw new RotorError('conflict', `“${step.title}” comes later: first “${current.title}”.`);
  if (step.state === 'running' && !options.runIsStale) {
    throw new RotorError(
      'conflict',
      `“${step.title}” is being done right now (started at ${step.startedAt ?? 'just now'}); wait for it to finish.`,
    );
  }
  if (isLocked(record, step)) {
    const missing = missingApprovals(record)
      .map((role) => `a ${roleLabel(role)}`)
      .join(' and ');
    throw new RotorError(
      'conflict',
      `“${step.title}” waits for the approval of ${missing}; they were asked in Slack. It changes something outside the store, so it cannot be done, skipped or run before.`,
    );
  }
  if (intent === 'tick' && step.action !== null) {
    throw new RotorError('validation', `“${step.title}” is done by Rotor at the provider:`, {
      next: { kind: 'action', action: 'run_step', args: [], lead: '', purpose: 'instead of ticking it' },
    });
  }
  if (intent === 'by_hand' && step.action === null) {
    throw new RotorError('validation', `“${step.title}” is done by a person: tick it when it is done.`);
  }
  if (intent === 'by_hand' && !BY_HAND_ACTIONS.has(step.action as string)) {
    throw new RotorError(
      'validation',
      `“${step.title}” changes the store, whose versions Rotor keeps track of, so it cannot be taken over by hand:`,
      {
        next: { kind: 'action', action: 'run_step', args: [], lead: '', or: { kind: 'action', action: 'abandon', args: [], lead: '' } },
      },
    );
  }
  if (intent === 'run' && step.action === null) {
    throw new RotorError('validation', `“${step.title}” is done by a person: tick it when it is done.`);
  }
  // A required step whose automated checks failed may be rolled forward: skipped, with the reason recorded.
  if (intent === 'skip' && step.required && !checksFailed(step.result)) {
    throw new RotorError('validation', `“${step.title}” is required and cannot be skipped.`);
  }
  return step;
}

/** Checks a note or a reason (skip, abandon, reject, roll back): a reason is required; neither may hold a credential. */
export function cleanNote(text: string | null | undefined, required: boolean, what: 'note' | 'reason'): string | null {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') {
    if (required)
      throw new ValidationError(`A ${what} is required.`, [
        { where: what, message: what === 'note' ? 'say what you did by hand' : 'say why this step is skipped' },
      ]);
    return null;
  }
  if (trimmed.length > MAX_NOTE_LENGTH) {
    throw new ValidationError(`The ${what} is ${trimmed.length} characters long.`, [
      { where: what, message: `keep it under ${MAX_NOTE_LENGTH} characters` },
    ]);
  }
  refuseUnsafeText(trimmed, { where: what, what });
  return trimmed;
}

/** What still stands between the rotation and its completion; empty when it may complete. */
export function completionBlockers(record: RotationRecord): string[] {
  const blockers: string[] = [];
  const open = record.steps.filter((step) => step.state === 'pending' || step.state === 'running');
  if (open.length > 0)
    blockers.push(`${open.length} step${open.length === 1 ? '' : 's'} still to do, starting with “${(open[0] as RotationStep).title}”`);
  if (record.rotation.provider !== 'manual' && !record.rotation.verifiedAt)
    blockers.push('the provider has not confirmed the new version (the verify step)');
  return blockers;
}
