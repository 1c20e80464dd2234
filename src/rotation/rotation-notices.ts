import type { DateTime } from 'luxon';
import type { FollowUp } from '../follow-ups/follow-up.js';
import type { Secret } from '../inventory/secret.js';
import { replacedAtTarget, rollbackOutcomeOf, type RollbackOutcome } from './rollback-plan.js';
import { isOpen, type ApproverRole, type RotationRecord } from './rotation.js';
import { ROTATION_FOLLOW_UPS } from './rotation-follow-ups.js';

/**
 * What a rotation's follow-up tells, and whom, decided when it fires from the rotation as it is
 * then: a surface (the Slack adapter) only renders and posts it. Null: its moment has passed (the
 * role was filled, the rotation moved on, the holder took it back) and nothing is sent.
 */
export type RotationNotice =
  | { kind: 'approval_request'; to: string; secret: Secret; reminder: boolean }
  | { kind: 'decision'; to: string; decision: { role: ApproverRole; by: string; kind: 'approved' | 'rejected'; reason: string | null } }
  | { kind: 'stale'; to: string; audience: 'holder' | 'security' }
  | {
      kind: 'announcement';
      channel: string;
      secret: Secret;
      removalAt: string | null;
      rollbackUntil: string | null;
      /** The step that set the new credential at its target, when one did. */
      replacedBy: string | null;
    }
  | { kind: 'rolled_back'; channel: string; rollback: RollbackOutcome | null }
  | { kind: 'taken_over'; to: string; by: string }
  | { kind: 'removal_due'; to: string };

export interface RotationNoticeDeps {
  /** The role `person` could still approve the rotation as, or null (RotationQueries.approvableBy: the one rule). */
  approvableBy(record: RotationRecord, person: string): ApproverRole | null;
  rollbackUntil(record: RotationRecord): DateTime | null;
  /** When the removal of the previous version is due, if it was scheduled. */
  removalDueAt(topic: string): string | null;
  secretOf(record: RotationRecord): Secret;
}

/** The notice a rotation follow-up sends now, or null. */
export function rotationNotice(record: RotationRecord, followUp: FollowUp, deps: RotationNoticeDeps): RotationNotice | null {
  const { rotation } = record;
  const user = String(followUp.payload.user ?? '');
  switch (followUp.kind) {
    case ROTATION_FOLLOW_UPS.approvalRequest:
    case ROTATION_FOLLOW_UPS.approvalReminder:
      return approvalStillAsked(record, user, deps)
        ? {
            kind: 'approval_request',
            to: user,
            secret: deps.secretOf(record),
            reminder: followUp.kind === ROTATION_FOLLOW_UPS.approvalReminder,
          }
        : null;
    case ROTATION_FOLLOW_UPS.decisionNotice: {
      const [kind, role] = followUp.occurrence.split(':');
      const decision = record.approvals.find((approval) => approval.role === role);
      if (!decision || (kind !== 'approved' && kind !== 'rejected')) return null;
      return {
        kind: 'decision',
        to: rotation.heldBy,
        decision: { role: decision.role, by: decision.decidedBy, kind, reason: decision.reason },
      };
    }
    case ROTATION_FOLLOW_UPS.staleNudge:
    case ROTATION_FOLLOW_UPS.staleEscalation:
      return isOpen(rotation.state) && rotation.version === Number(followUp.payload.version)
        ? { kind: 'stale', to: user, audience: followUp.kind === ROTATION_FOLLOW_UPS.staleNudge ? 'holder' : 'security' }
        : null;
    case ROTATION_FOLLOW_UPS.announce: {
      if (rotation.state !== 'completed' && rotation.state !== 'rolled_back') return null;
      const until = deps.rollbackUntil(record);
      const secret = deps.secretOf(record);
      return {
        kind: 'announcement',
        channel: String(followUp.payload.channel),
        secret,
        removalAt: deps.removalDueAt(followUp.topic),
        rollbackUntil: until ? (until.toUTC().toISO() as string) : null,
        replacedBy: replacedAtTarget(record, secret.type)[0]?.step.title ?? null,
      };
    }
    case ROTATION_FOLLOW_UPS.rolledBack:
      return rotation.state === 'rolled_back'
        ? { kind: 'rolled_back', channel: String(followUp.payload.channel), rollback: rollbackOutcomeOf(followUp.payload.rollback) }
        : null;
    // Unless they took it back meanwhile.
    case ROTATION_FOLLOW_UPS.takenOver:
      return user !== rotation.heldBy ? { kind: 'taken_over', to: user, by: String(followUp.payload.by) } : null;
    case ROTATION_FOLLOW_UPS.removalDue:
      return rotation.state === 'completed' ? { kind: 'removal_due', to: rotation.heldBy } : null;
    default:
      return null;
  }
}

/** Still worth asking this person to approve: the rotation is open and needs a role only they could fill now. */
export function approvalStillAsked(record: RotationRecord, person: string, deps: Pick<RotationNoticeDeps, 'approvableBy'>): boolean {
  return deps.approvableBy(record, person) !== null;
}
