import type { DateTime } from 'luxon';
import { actorId, SYSTEM_ACTOR } from '../access/actor.js';
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
      const to = personFor(record, rotation.heldBy, deps);
      if (!to) return null;
      return {
        kind: 'decision',
        to,
        decision: { role: decision.role, by: decision.decidedBy, kind, reason: decision.reason },
      };
    }
    case ROTATION_FOLLOW_UPS.staleNudge:
    case ROTATION_FOLLOW_UPS.staleEscalation: {
      const to = personFor(record, user, deps);
      return to && isOpen(rotation.state) && rotation.version === Number(followUp.payload.version)
        ? { kind: 'stale', to, audience: followUp.kind === ROTATION_FOLLOW_UPS.staleNudge ? 'holder' : 'security' }
        : null;
    }
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
      return user !== rotation.heldBy && user !== ROTOR ? { kind: 'taken_over', to: user, by: String(followUp.payload.by) } : null;
    // Rotor removes the previous version of its own rotations itself (src/automatic-rotation).
    case ROTATION_FOLLOW_UPS.removalDue:
      return rotation.state === 'completed' && rotation.heldBy !== ROTOR ? { kind: 'removal_due', to: rotation.heldBy } : null;
    default:
      return null;
  }
}

const ROTOR = actorId(SYSTEM_ACTOR);

/** Who hears of a rotation as its holder: the person, or the secret's owner when Rotor holds it (an automatic rotation). */
function personFor(record: RotationRecord, holder: string, deps: Pick<RotationNoticeDeps, 'secretOf'>): string | null {
  return holder === ROTOR ? deps.secretOf(record).owner : holder;
}

/** Still worth asking this person to approve: the rotation is open and needs a role only they could fill now. */
export function approvalStillAsked(record: RotationRecord, person: string, deps: Pick<RotationNoticeDeps, 'approvableBy'>): boolean {
  return deps.approvableBy(record, person) !== null;
}
