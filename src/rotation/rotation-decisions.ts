import { actorId, SYSTEM_ACTOR, type Actor } from '../access/actor.js';
import { RotorError } from '../core/errors.js';
import { OPEN_STATES, type ApproverRole, type RotationRecord } from './rotation.js';
import { ROTATION_FOLLOW_UPS, rotationTopic } from './rotation-follow-ups.js';
import { approverRolesOf, cleanNote, holdersOfRole, missingApprovals, requireOpen, roleLabel, workedOn } from './rotation-rules.js';
import type { RotationServiceDeps } from './rotation-deps.js';
import type { RotationQueries } from './rotation-queries.js';
import type { RotationTransitions } from './rotation-transitions.js';
import type { StoreCleanup } from './store-cleanup.js';
import { CleanupFailedError, RejectCleanupFailedError } from './rotation-errors.js';

/**
 * The approvers' decisions on a rotation: an approval fills one required role the approver holds,
 * a rejection stops the rotation (cleaning up at the store). Nobody decides on a rotation they
 * worked on or run, and one person fills one role.
 */
export class RotationDecisions {
  constructor(
    private readonly deps: RotationServiceDeps,
    private readonly queries: RotationQueries,
    private readonly writer: RotationTransitions,
    private readonly cleanup: StoreCleanup,
  ) {}

  /** The rotation and who decides on it, once the permission table lets them decide (approve and reject alike). */
  private decider(actor: Actor, id: number): { record: RotationRecord; by: string } {
    const record = this.queries.get(id);
    this.deps.authorizer.require(actor, {
      action: 'approve',
      secret: this.queries.secretOf(record),
      rotationStartedBy: record.rotation.startedBy,
    });
    return { record, by: actorId(actor) };
  }

  /** An approver approves, filling one required role they hold; nobody approves their own rotation. */
  approve(actor: Actor, id: number): RotationRecord {
    const { record, by } = this.decider(actor, id);
    const worked = workedOn(record, by);
    if (worked)
      throw new RotorError('forbidden', `You worked on this rotation (${worked}), so you cannot also approve it (two-person rule).`);
    requireOpen(record);
    const role = this.roleToFill(record, by);
    return this.writer.transition(
      record,
      record.rotation.state === 'awaiting_approval' && missingApprovals(record).length === 1 ? { state: 'in_progress' } : {},
      (now) => {
        if (!this.deps.repo.addApproval(id, { role, decision: 'approved', decidedBy: by, decidedAt: now, reason: null })) {
          throw new RotorError(
            'conflict',
            `Someone approved this rotation as ${roleLabel(role)} a moment ago; nothing more is needed from you for that role.`,
          );
        }
        this.deps.followUps.schedule({
          kind: ROTATION_FOLLOW_UPS.decisionNotice,
          topic: rotationTopic(id),
          occurrence: `approved:${role}`,
          dueAt: now,
          payload: { role, by },
        });
        return {
          events: [
            {
              actor: by,
              action: 'rotation.approved',
              secret: record.rotation.secretName,
              details: { rotation: id, role, ticket: record.rotation.ticket },
            },
          ],
        };
      },
      { kick: true, decision: true },
    );
  }

  /**
   * An approver rejects: the rotation stops (cleaning up at the provider) and the rotator is told why.
   * A cleanup that fails records nothing, and is the rotator's to finish (RejectCleanupFailedError).
   */
  async reject(actor: Actor, id: number, reasonText: string | null): Promise<RotationRecord> {
    const { record, by } = this.decider(actor, id);
    if (record.rotation.heldBy === by) throw new RotorError('forbidden', 'You are running this rotation; to stop it, abandon it instead.');
    requireOpen(record);
    const reason = cleanNote(reasonText, true, 'reason') as string;
    const role = this.roleToFill(record, by);
    let cleanup: Record<string, unknown>;
    try {
      cleanup = await this.cleanup.cleanUpProvider(actor, record, false);
    } catch (error) {
      if (!(error instanceof CleanupFailedError)) throw error;
      throw new RejectCleanupFailedError(record.rotation.secretName, this.rotatorOf(record), error.failure, error);
    }
    return this.writer.transition(
      this.queries.get(id),
      { state: 'rejected', endedAt: this.writer.now(), endedBy: by, endReason: reason },
      (now) => {
        if (!this.deps.repo.addApproval(id, { role, decision: 'rejected', decidedBy: by, decidedAt: now, reason })) {
          throw new RotorError(
            'conflict',
            `Someone decided for the ${roleLabel(role)} role a moment ago; reopen the request to see where it stands.`,
          );
        }
        this.cleanup.endRotation(record, actor, cleanup);
        this.deps.followUps.schedule({
          kind: ROTATION_FOLLOW_UPS.decisionNotice,
          topic: rotationTopic(id),
          occurrence: `rejected:${role}`,
          dueAt: now,
          payload: { role, by, reason },
        });
        return {
          events: [
            {
              actor: by,
              action: 'rotation.rejected',
              secret: record.rotation.secretName,
              details: { rotation: id, role, reason, cleanup },
            },
          ],
        };
      },
      { fromStates: OPEN_STATES, kick: true, event: 'rejected' },
    );
  }

  /** Who cleans up after a rotation: the person running it, or the secret's owner when Rotor runs it (an automatic rotation). */
  private rotatorOf(record: RotationRecord): string | null {
    const { heldBy } = record.rotation;
    return heldBy === actorId(SYSTEM_ACTOR) ? this.queries.secretOf(record).owner : heldBy;
  }

  /** The required role `by` fills with this decision: one they hold that nobody filled yet. */
  private roleToFill(record: RotationRecord, by: string): ApproverRole {
    const mine = record.approvals.find((approval) => approval.decidedBy === by);
    if (mine)
      throw new RotorError(
        'conflict',
        `You already ${mine.decision} this rotation as ${roleLabel(mine.role)}; one person fills one role, so the other approval must come from someone else.`,
      );
    const held = approverRolesOf(this.deps.policy, by, this.deps.groups ?? null);
    // One person fills one role: the role fewest others could fill, so a person in two roles leaves the commoner one to someone else.
    const others = (role: ApproverRole) =>
      holdersOfRole(this.deps.policy, role, this.deps.groups ?? null).filter((person) => person !== by).length;
    const open = missingApprovals(record)
      .filter((role) => held.includes(role))
      .sort((a, b) => others(a) - others(b));
    if (open.length > 0) return open[0] as ApproverRole;
    if (record.rotation.requiredApprovals.length === 0)
      throw new RotorError('conflict', `This rotation needs no approval (${record.rotation.environment} has none in the policy).`);
    throw new RotorError(
      'conflict',
      `Every approval you could give here is already given: ${record.approvals.map((approval) => `${roleLabel(approval.role)} by ${approval.decidedBy}`).join(', ')}.`,
    );
  }
}
