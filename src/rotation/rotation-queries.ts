import { DateTime } from 'luxon';
import type { Actor } from '../access/actor.js';
import { NotFoundError, RotorError } from '../core/errors.js';
import type { Hint } from '../core/next-step.js';
import type { Secret } from '../inventory/secret.js';
import type { StoreKind } from '../providers/store-kind.js';
import { isOpen, OPEN_STATES, type ApproverRole, type RotationKind, type RotationRecord, type RotationStep } from './rotation.js';
import { isPastLease } from './steps/step-lease.js';
import { outcomeWasLost } from './unknown-outcome.js';
import { rollbackLeaseEnd, unsettledRollback, type RollbackIntent } from './rollback-intent.js';
import { approverRolesOf, holdersOfRole, missingApprovals, workedOn } from './rotation-rules.js';
import type { RotationServiceDeps } from './rotation-deps.js';
import { StaleRotationError } from './rotation-errors.js';
import { isInsideWindow, windowLock, type RotationWindow } from './rotation-window.js';

/** Everything a view of one rotation shows for one person, in one call. */
export interface RotationView {
  record: RotationRecord;
  secret: Secret;
  viewer: string;
  /** Who may fill each approval still needed. */
  approvers: { role: ApproverRole; people: string[] }[];
  /** ISO instant until which the rotation may be rolled back, when it may be now. */
  rollbackUntil: string | null;
  /** The role the viewer could approve it as now, or null. */
  approverRole: ApproverRole | null;
  /** The id of the provider step left running past its lease, or null. */
  interrupted: string | null;
  /** The rotation's planned window, or null. */
  window: RotationWindow | null;
  /** Whether the viewer may override the window now: an approver, outside a window not yet overridden. */
  windowOverridable: boolean;
}

/**
 * Reads of rotations, and who may act on them: what views, follow-ups and the other parts of the
 * rotation service ask before they change anything. `view` gives a modal everything in one call.
 */
export class RotationQueries {
  constructor(private readonly deps: RotationServiceDeps) {}

  /**
   * A rotation as one person sees it: what a modal shows, in one call. `secret`: the rotation's
   * secret as the caller has just read it (`/rotate` reads it to open the modal), used rather than
   * read again.
   */
  view(record: RotationRecord, viewer: string, secret?: Secret): RotationView {
    const until = this.rollbackOffer(record);
    const window = this.windowOf(record.rotation.id);
    return {
      record,
      secret: secret?.id === record.rotation.secretId && secret.name === record.rotation.secretName ? secret : this.secretOf(record),
      viewer,
      approvers: this.approversFor(record),
      rollbackUntil: until ? (until.toUTC().toISO() as string) : null,
      approverRole: this.approvableBy(record, viewer),
      interrupted: this.interruptedStep(record)?.id ?? null,
      window,
      windowOverridable:
        window !== null &&
        !window.override &&
        isOpen(record.rotation.state) &&
        !isInsideWindow(window, this.deps.clock.now()) &&
        approverRolesOf(this.deps.policy, viewer, this.deps.groups ?? null).length > 0,
    };
  }

  /** The rotation's current planned window, or null. */
  windowOf(rotationId: number): RotationWindow | null {
    return this.deps.windows?.current(rotationId) ?? null;
  }

  /** Refuses an irreversible step outside the rotation's planned window (unless an approver overrode it). */
  requireWindowAllows(record: RotationRecord, step: RotationStep): void {
    const lock = windowLock(record, step, this.windowOf(record.rotation.id), this.deps.clock.now());
    if (lock) throw new RotorError('conflict', lock);
  }

  /**
   * The secret, once the actor is known to be allowed to rotate it. The emergency rotation of an
   * incident is worked by everyone the incident involves (responders among them), not only by
   * those who may rotate the secret on schedule.
   */
  rotatable(actor: Actor, name: string): Secret {
    const secret = this.deps.inventory.get(name);
    // A mistyped name is answered with names this person may rotate, never with the others.
    if (!secret)
      throw new NotFoundError(`No secret named \`${name}\`.`, this.deps.inventory.suggestNames(name, 3, this.rotatableNames(actor)));
    this.authorize(actor, secret, this.deps.repo.openKindFor(secret.id) ?? 'scheduled');
    return secret;
  }

  /**
   * The secret the `/rotate` picker offered (by id), for someone allowed to rotate it. Anyone else
   * learns nothing from a forged id, not even whether it names a secret.
   */
  picked(actor: Actor, secretId: number): Secret {
    const secret = this.deps.inventory.getById(secretId);
    if (!secret || !this.deps.authorizer.decide(actor, { action: 'rotate', secret }).allowed)
      throw new NotFoundError('That choice is not a secret you may rotate', [], {
        next: { kind: 'run_command', command: 'rotate', args: [], lead: 'run', purpose: 'again' },
      });
    return secret;
  }

  /** The names of the secrets `actor` may rotate. */
  private rotatableNames(actor: Actor): string[] {
    const names: string[] = [];
    for (const secret of this.deps.inventory.iterateAll())
      if (this.deps.authorizer.decide(actor, { action: 'rotate', secret }).allowed) names.push(secret.name);
    return names;
  }

  authorize(actor: Actor, secret: Secret, kind: RotationKind): void {
    this.deps.authorizer.require(actor, { action: kind === 'emergency' ? 'respond' : 'rotate', secret });
  }

  get(id: number): RotationRecord {
    const record = this.deps.repo.get(id);
    if (!record) throw new NotFoundError(`No rotation #${id}.`);
    return record;
  }

  /** The rotation, or null when there is none with that id. */
  find(id: number): RotationRecord | null {
    return this.deps.repo.get(id);
  }

  /** The rotation open on a secret, or null. */
  openFor(name: string): RotationRecord | null {
    const secret = this.deps.inventory.get(name);
    return secret ? this.deps.repo.openFor(secret.id) : null;
  }

  /** Open rotations: all, those held by `userId`, and those awaiting an approval `userId` could give. */
  forPerson(userId: string): { open: RotationRecord[]; holding: RotationRecord[]; awaitingMyApproval: RotationRecord[] } {
    const open = this.deps.repo.list({ open: true }).map((rotation) => this.get(rotation.id));
    return {
      open,
      holding: open.filter((record) => record.rotation.heldBy === userId),
      awaitingMyApproval: open.filter((record) => this.approvableBy(record, userId) !== null),
    };
  }

  /**
   * The role `userId` could approve the rotation as now, or null: it is open, they hold a role it
   * still needs, and they neither worked on it nor decided already. Such a person is offered
   * Approve / Reject, not the work (which would cost them the approval).
   */
  approvableBy(record: RotationRecord, userId: string): ApproverRole | null {
    if (
      !OPEN_STATES.includes(record.rotation.state) ||
      workedOn(record, userId) !== null ||
      record.approvals.some((approval) => approval.decidedBy === userId)
    )
      return null;
    const mine = approverRolesOf(this.deps.policy, userId, this.deps.groups ?? null);
    return missingApprovals(record).find((role) => mine.includes(role)) ?? null;
  }

  /** Who may fill each approval the rotation still needs (whoever worked on it excluded). */
  approversFor(record: RotationRecord): { role: ApproverRole; people: string[] }[] {
    return missingApprovals(record).map((role) => ({
      role,
      people: holdersOfRole(this.deps.policy, role, this.deps.groups ?? null).filter((person) => workedOn(record, person) === null),
    }));
  }

  /**
   * Until when a completed rotation may be rolled back (the retention window), or null. Never an
   * emergency rotation: the version before it is the compromised one.
   */
  rollbackUntil(record: RotationRecord): DateTime | null {
    const { rotation } = record;
    if (rotation.state !== 'completed' || rotation.kind === 'emergency') return null;
    const from = rotation.promotedAt ?? rotation.completedAt;
    if (!from) return null;
    const window = DateTime.fromISO(from, { zone: 'utc' }).plus({ hours: this.deps.policy.retentionHours });
    const recoverable = this.recoverableUntil(record);
    const until = recoverable && recoverable > window ? recoverable : window;
    return this.deps.clock.now() <= until ? until : null;
  }

  /**
   * Until when the previous version, removed at the end of the retention window, can still be
   * brought back, where the store keeps it recoverable (a KMS key until its deletion date, which
   * a rollback cancels); null when it cannot or was not removed.
   */
  private recoverableUntil(record: RotationRecord): DateTime | null {
    const removed = this.deps.trail
      .ofRotation(record.rotation.id, record.rotation.secretName)
      .find((event) => event.action === 'rotation.previous_removed');
    const until = removed?.details.recoverableUntil;
    if (typeof until !== 'string') return null;
    const parsed = DateTime.fromISO(until, { zone: 'utc' });
    return parsed.isValid ? parsed : null;
  }

  /** Until when the rotation may be rolled back, if it may be now: what views offer (a Roll back button). */
  rollbackOffer(record: RotationRecord): DateTime | null {
    const until = this.rollbackUntil(record);
    return until && this.rollbackBlocker(record) === null ? until : null;
  }

  /**
   * What forbids rolling back a completed rotation whatever its window: an incident open on the
   * secret (the version before the rotation may be the leaked one, and the emergency rotation
   * owns the store), or a rotation newer than this one (open, or completed since): only the
   * latest change is undone, once nothing else is under way.
   */
  rollbackBlocker(record: RotationRecord): Hint | null {
    const { rotation } = record;
    const name = rotation.secretName;
    const incident = this.deps.incidents.openOn(name);
    if (incident || this.deps.inventory.get(name)?.lifecycle === 'compromised') {
      return {
        brief: `${name} is under ${incident ? `incident #${incident.id}` : 'an incident'} (marked compromised), so nothing of it is rolled back: the version before this rotation may be the leaked one, and the incident's emergency rotation is what replaces it. Roll back nothing until the incident is closed; then rotate again if needed.`,
      };
    }
    const open = this.deps.repo.openFor(rotation.secretId);
    if (open) {
      return {
        brief: `A newer rotation of ${name} is open (#${open.rotation.id}, ${open.rotation.state.replace('_', ' ')}, held by ${open.rotation.heldBy} since ${open.rotation.startedAt}): rolling this one back would change the secret under it.`,
        next: { kind: 'run_command', command: 'rotate', args: [name], lead: 'complete or abandon that rotation first', aside: true },
      };
    }
    const rollback = this.unsettledRollback(record);
    if (rollback) {
      const settling = `${rollback.by} started rolling back this rotation of ${name} at ${rollback.at}, and whether the store moved is not recorded yet:`;
      if (this.deps.clock.now() < rollbackLeaseEnd(rollback))
        return {
          brief: `${settling} if it is still unsettled at ${rollbackLeaseEnd(rollback).toUTC().toISO() ?? ''}, check the store then.`,
        };
      return {
        brief: settling,
        next: { kind: 'action', action: 'check_store', args: [], lead: '', purpose: '(Rotor also asks it by itself in a few minutes)' },
      };
    }
    const latest = this.deps.repo.latestFor(rotation.secretId);
    if (latest && latest.rotation.id !== rotation.id && latest.rotation.state === 'completed') {
      return {
        brief: `A newer rotation of ${name} (#${latest.rotation.id}) completed at ${latest.rotation.completedAt}; only the latest one can be rolled back.`,
      };
    }
    return null;
  }

  /** The provider step left running past its lease (its runner presumed dead), or null. */
  interruptedStep(record: RotationRecord): RotationStep | null {
    if (!OPEN_STATES.includes(record.rotation.state)) return null;
    return record.steps.find((step) => isPastLease(step, this.deps.clock.now())) ?? null;
  }

  /**
   * A provider step of the scheduled rotation open on the secret that is running now (a Promote
   * in flight, say), or null. A revocation confirmed meanwhile would record as compromised
   * whatever the store holds when it looks, possibly the fresh version: it waits for the step
   * instead. A run left behind by a crash (past the stale limit) does not count.
   */
  inFlightStep(secretId: number): { record: RotationRecord; step: RotationStep } | null {
    const record = this.deps.repo.openFor(secretId);
    if (!record || record.rotation.kind !== 'scheduled') return null;
    const step = record.steps.find(
      (candidate) =>
        candidate.state === 'running' &&
        candidate.action !== null &&
        (!isPastLease(candidate, this.deps.clock.now()) || outcomeWasLost(candidate)),
    );
    return step ? { record, step } : null;
  }

  authorized(actor: Actor, id: number, expectedVersion: number): RotationRecord {
    const record = this.get(id);
    this.rotatable(actor, record.rotation.secretName);
    if (record.rotation.version !== expectedVersion) throw new StaleRotationError(record);
    return record;
  }

  storeOf(kind: string): StoreKind {
    return this.deps.registry.stores.of(kind);
  }

  secretOf(record: RotationRecord): Secret {
    return this.deps.inventoryService.require(record.rotation.secretName);
  }

  /**
   * Everyone who took the rotation over (its audit trail's take-overs), oldest first: they worked
   * it even when they did no step and someone else held it at the end.
   */
  tookOver(record: RotationRecord): string[] {
    const takers = this.deps.trail
      .ofRotation(record.rotation.id, record.rotation.secretName)
      .filter((event) => event.action === 'rotation.taken_over')
      .map((event) => event.actor);
    return [...new Set(takers)];
  }

  /** A rollback of the rotation started and neither recorded nor settled (rollback-intent.ts), or null. */
  unsettledRollback(record: RotationRecord): RollbackIntent | null {
    if (record.rotation.state !== 'completed') return null;
    return unsettledRollback(this.deps.trail.ofRotation(record.rotation.id, record.rotation.secretName));
  }

  /** The version an emergency rotation disables: the incident's, or the one current when it started. */
  compromisedVersionOf(record: RotationRecord): string | null {
    return this.deps.incidents.revocationFacts(record.rotation.id)?.compromisedVersionId ?? record.rotation.previousVersionId;
  }
}
