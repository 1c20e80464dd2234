import { isOutcomeUnknown, outcomeUnknownError, outcomeWasLost, withoutLostOutcome } from './unknown-outcome.js';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { actorId, type Actor } from '../access/actor.js';
import type { Authorizer } from '../access/authorize.js';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuditTrailRepo } from '../audit/audit-trail-repo.js';
import type { Policy } from '../config/policy.js';
import { type Clock, isoInstant as iso } from '../core/clock.js';
import { describeError, NotFoundError, RotorError, ValidationError } from '../core/errors.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { Secret } from '../inventory/secret.js';
import type { ProviderOperationsService } from '../providers/provider-operations-service.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import type { ValuePlacement, WriteIntent } from '../providers/secret-provider.js';
import { describeBinding, sameBinding, type StoreBinding } from '../providers/store-binding.js';
import { parseChangeTicket } from './change-ticket.js';
import type { ChecklistSnapshot } from './checklist-step.js';
import type { RevocationOrder } from './emergency-template.js';
import { checklistSourceOf, resolveChecklist } from './resolve-checklist.js';
import { rollbackPlan, unconfirmed, type RollbackItem, type RollbackOutcome } from './rollback-plan.js';
import { OPEN_STATES, storeBindingOf, type ApproverRole, type PreflightCheck, type Rotation, type RotationKind, type RotationRecord, type RotationStep } from './rotation.js';
import { APPROVAL_RESEND_HOURS, ROTATION_FOLLOW_UPS, rotationTopic, STALE_ESCALATION_HOURS, STALE_NUDGE_HOURS } from './rotation-follow-ups.js';
import { creationStepOf, inspectInterruptedStep, isPastLease, leaseEnd, requestTokenOf } from './step-reconciliation.js';
import { hasBlocking, runPreflight, type PeopleLookup, type PreflightResult } from './rotation-preflight.js';
import type { RotationChange, RotationRepo, StepChange } from './rotation-repo.js';
import { writeNewVersionCommand } from './write-command.js';
import {
  approverRolesOf,
  cleanNote,
  completionBlockers,
  holdersOfRole,
  missingApprovals,
  requiredApprovalsFor,
  requireNotApprover,
  requireOpen,
  ROLE_LABELS,
  stepFor,
  workedOn,
} from './rotation-rules.js';

/** What happened, for metrics. */
export interface RotationEvent {
  kind: 'started' | 'completed' | 'abandoned' | 'rejected' | 'rolled_back';
  rotation: Rotation;
  /** For `completed`: seconds from start to completion. */
  durationSeconds?: number;
}

export interface RotationServiceDeps {
  repo: RotationRepo;
  inventory: InventoryRepo;
  inventoryService: InventoryService;
  operations: ProviderOperationsService;
  registry: ProviderRegistry;
  authorizer: Authorizer;
  audit: AuditLog;
  /** Reads the rotation's own audit events (what was done outside its state, like the removal of the previous version). */
  trail: AuditTrailRepo;
  followUps: FollowUpService;
  /** Asks Slack whether approvers are still there; null without Slack. */
  people: PeopleLookup | null;
  clock: Clock;
  policy: Policy;
  /** Runs due follow-ups soon (approval requests go out at once, not at the next sweep). */
  kickFollowUps?: () => void;
  onEvent?: (event: RotationEvent) => void;
  /**
   * Told of every change inside its transaction, with the rotation as it now is and the change's
   * audit events: an incident follows its emergency rotation, and both commit or neither does.
   */
  onChange?: (record: RotationRecord, events: readonly AuditEventInput[]) => void;
  /** What an emergency rotation's incident says about the compromised version, and the incident open on a secret. */
  incidents?: { revocationFacts(rotationId: number): RevocationFacts | null; openOn?(secretName: string): { id: number } | null };
}

/** What an emergency rotation would do: its checklist by order of disabling, and where the secret stands. */
export interface EmergencyPlan {
  checklists: Record<RevocationOrder, ChecklistSnapshot>;
  /** The version the store says is current (the one that will be disabled), or the inventory's when the store cannot say. */
  currentVersionId: string | null;
  /** Why the store could not be asked, if it could not. */
  storeProblem: string | null;
  /** A rotation open on the secret, which the emergency one supersedes. */
  open: RotationRecord | null;
}

/** What disabling the compromised version needs from its incident. */
export interface RevocationFacts {
  order: RevocationOrder;
  destroy: boolean;
  compromisedVersionId: string | null;
  /** While the incident is open its disable step is driven until the store shows it done. */
  incidentOpen: boolean;
}

/** What `/rotate <name>` opens on: the rotation already open, or what starting one would do. */
export type RotationOpening =
  | { kind: 'open'; secret: Secret; record: RotationRecord }
  | {
      kind: 'start';
      secret: Secret;
      checklist: ChecklistSnapshot | null;
      requiredApprovals: ApproverRole[];
      preflight: PreflightCheck[];
      /** A rotation completed within its retention window, which may still be rolled back. */
      recent: RotationRecord | null;
      /** The secret's last rotation, when an approver rejected it: why, before anyone starts again. */
      rejected: RotationRecord | null;
    };

/** A click from a view older than the rotation: refused, and the view is refreshed. */
export class StaleRotationError extends RotorError {
  constructor(readonly record: RotationRecord) {
    super('conflict', `Someone changed the rotation of ${record.rotation.secretName} while you were looking (it is now at version ${record.rotation.version}); the view shows where it stands now. Try again if it still applies.`);
    this.name = 'StaleRotationError';
  }
}

/** The preflight found something to fix before the rotation may start. */
export class PreflightBlockedError extends RotorError {
  constructor(
    readonly secretName: string,
    readonly checks: PreflightCheck[],
  ) {
    super('conflict', `${secretName} cannot be rotated yet: ${checks.filter((check) => check.status === 'blocking').map((check) => check.message).join(' ')}`);
    this.name = 'PreflightBlockedError';
  }
}

/** Abandoning could not undo what the rotation left at the provider: the person may do it by hand and say so. */
export class CleanupFailedError extends RotorError {
  constructor(message: string, cause: unknown) {
    super('provider', message, { cause });
    this.name = 'CleanupFailedError';
  }
}

/** A provider step that failed after changing something at the provider that must be remembered (a placeholder made current). */
class PartialStepError extends RotorError {
  constructor(readonly change: RotationChange, cause: RotorError) {
    super(cause.code, cause.message, { cause });
    this.name = 'PartialStepError';
  }
}

/** A provider step that cannot finish yet (a rotation function still running): not an error. */
class NotYet extends Error {
  constructor(readonly change: RotationChange, readonly result: Record<string, unknown>) {
    super('not yet');
  }
}

interface StepOutcome {
  result: Record<string, unknown>;
  change: RotationChange;
  followUps?: FollowUpRequest[];
}

/**
 * Minutes between Rotor's own re-drives of an open incident's disable step that failed (the last
 * repeats): a safety net behind the responders' Retry, so a disable never waits on a person
 * forever. A run that died is settled (and re-driven at once) when its lease ends.
 */
const REDRIVE_MINUTES = [15, 30, 60];

/**
 * Guided rotation: the persisted state machine behind `/rotate`. Every transition is
 * authorized against the actor, checked by the rules (rotation-rules.ts), conditional on the
 * rotation's version (two people at once: exactly one wins) and written with its audit event in
 * one transaction. Provider steps run outside the transaction: the step is marked running,
 * the provider is called, and the outcome (or the failure, with what to do) is recorded after.
 */
export class RotationService {
  constructor(private readonly deps: RotationServiceDeps) {}

  /**
   * The secret, once the actor is known to be allowed to rotate it. The emergency rotation of an
   * incident is worked by everyone the incident involves (responders among them), not only by
   * those who may rotate the secret on schedule.
   */
  rotatable(actor: Actor, name: string): Secret {
    const secret = this.deps.inventory.get(name);
    // A mistyped name is answered with names this person may rotate, never with the others.
    if (!secret) throw new NotFoundError(`No secret named \`${name}\`.`, this.deps.inventory.suggestNames(name, 3, this.rotatableNames(actor)));
    const open = this.deps.repo.openFor(secret.id);
    this.authorize(actor, secret, open?.rotation.kind ?? 'scheduled');
    return secret;
  }

  /**
   * The secret the `/rotate` picker offered (by id), for someone allowed to rotate it. Anyone else
   * learns nothing from a forged id, not even whether it names a secret.
   */
  picked(actor: Actor, secretId: number): Secret {
    const secret = this.deps.inventory.getById(secretId);
    if (!secret || !this.deps.authorizer.decide(actor, { action: 'rotate', secret }).allowed) throw new NotFoundError('That choice is not a secret you may rotate; run `/rotate` again.');
    return secret;
  }

  /** The names of the secrets `actor` may rotate. */
  private rotatableNames(actor: Actor): string[] {
    const names: string[] = [];
    for (const secret of this.deps.inventory.iterateAll()) if (this.deps.authorizer.decide(actor, { action: 'rotate', secret }).allowed) names.push(secret.name);
    return names;
  }

  private authorize(actor: Actor, secret: Secret, kind: RotationKind): void {
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
    if (!OPEN_STATES.includes(record.rotation.state) || workedOn(record, userId) !== null || record.approvals.some((approval) => approval.decidedBy === userId)) return null;
    const mine = approverRolesOf(this.deps.policy, userId);
    return missingApprovals(record).find((role) => mine.includes(role)) ?? null;
  }

  /** Who may fill each approval the rotation still needs (whoever worked on it excluded). */
  approversFor(record: RotationRecord): { role: ApproverRole; people: string[] }[] {
    return missingApprovals(record).map((role) => ({
      role,
      people: holdersOfRole(this.deps.policy, role).filter((person) => workedOn(record, person) === null),
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
    const until = DateTime.fromISO(from, { zone: 'utc' }).plus({ hours: this.deps.policy.retentionHours });
    return this.deps.clock.now() <= until ? until : null;
  }

  /**
   * What `/rotate <name>` shows: the open rotation (anyone allowed to rotate may continue it), or
   * the checklist, approvals and preflight findings of a new one.
   */
  async prepare(actor: Actor, name: string): Promise<RotationOpening> {
    const secret = this.rotatable(actor, name);
    const open = this.deps.repo.openFor(secret.id);
    if (open) return { kind: 'open', secret, record: open };
    refuseToStart(secret, 'scheduled');
    const requiredApprovals = requiredApprovalsFor(this.deps.policy, secret.environment, 'scheduled');
    const preflight = await this.preflight(secret, actorId(actor), requiredApprovals);
    let checklist: ChecklistSnapshot | null = null;
    try {
      checklist = this.checklistFor(secret, preflight, 'scheduled');
    } catch (error) {
      preflight.checks.push({ check: 'checklist', status: 'blocking', message: describeError(error) });
    }
    const latest = this.deps.repo.latestFor(secret.id);
    const recent = latest && this.rollbackOffer(latest) ? latest : null;
    const rejected = latest?.rotation.state === 'rejected' ? latest : null;
    return { kind: 'start', secret, checklist, requiredApprovals, preflight: preflight.checks, recent, rejected };
  }

  /**
   * What an emergency rotation of the secret would do, for each order of disabling, and what the
   * store says is current: the blast radius `/revoke` shows before anyone confirms. A store that
   * cannot be reached is reported, not fatal (the revocation goes ahead regardless).
   */
  async emergencyPlan(secret: Secret): Promise<EmergencyPlan> {
    let rotationConfigured = false;
    let currentVersionId: string | null = secret.currentVersionId;
    let storeProblem: string | null = null;
    if (secret.provider !== 'manual') {
      try {
        const description = await this.deps.operations.validate(secret);
        rotationConfigured = description.rotationConfigured;
        currentVersionId = description.current?.versionId ?? currentVersionId;
      } catch (error) {
        storeProblem = describeError(error);
      }
    }
    const checklist = (revocationOrder: RevocationOrder) => resolveChecklist({ secret, provider: { rotationConfigured }, policy: this.deps.policy, emergency: true, revocationOrder });
    return {
      checklists: { replace_then_disable: checklist('replace_then_disable'), disable_now: checklist('disable_now') },
      currentVersionId,
      storeProblem,
      open: this.deps.repo.openFor(secret.id),
    };
  }

  /**
   * Starts a rotation: the ticket is checked first (so its problem shows on the field), then the
   * preflight runs again (the store may have changed since the form opened); a blocking finding
   * starts nothing.
   */
  async start(
    actor: Actor,
    name: string,
    input: { ticket: string | null },
    options: { kind?: RotationKind; breakGlassReason?: string; incidentId?: number; revocationOrder?: RevocationOrder; binding?: StoreBinding } = {},
  ): Promise<RotationRecord> {
    const kind = options.kind ?? 'scheduled';
    const ticket = kind === 'emergency' && !input.ticket ? null : parseChangeTicket(input.ticket);
    // An incident's emergency rotation works on the store secret the incident is bound to.
    const secret = boundSecret(this.deps.inventoryService.require(name), options.binding);
    this.authorize(actor, secret, kind);
    const open = this.deps.repo.openFor(secret.id);
    if (open) throw new RotorError('conflict', `${secret.name} is already being rotated by ${open.rotation.heldBy} (since ${open.rotation.startedAt}); run \`/rotate ${secret.name}\` to continue that rotation.`);
    refuseToStart(secret, kind);
    const by = actorId(actor);
    const requiredApprovals = requiredApprovalsFor(this.deps.policy, secret.environment, kind);
    const preflight = await this.preflight(secret, by, requiredApprovals);
    // An emergency goes ahead whatever the preflight found (a provider step may then fail and be
    // retried, or done by hand); its findings are recorded with it.
    if (kind === 'scheduled' && hasBlocking(preflight.checks)) throw new PreflightBlockedError(secret.name, preflight.checks);
    const checklist = this.checklistFor(secret, preflight, kind, options.revocationOrder);
    const now = this.now();
    let id: number;
    try {
      id = this.deps.audit.record(() => {
        this.refuseMovedReference(secret, options.binding);
        const rotationId = this.deps.repo.insert(
          {
            secretId: secret.id,
            secretName: secret.name,
            kind,
            state: requiredApprovals.length > 0 ? 'awaiting_approval' : 'in_progress',
            ticket,
            environment: secret.environment,
            provider: secret.provider,
            providerRef: secret.providerRef,
            requiredApprovals,
            checklistSource: checklistSourceOf({ secret, policy: this.deps.policy, emergency: kind === 'emergency' }),
            preflight: preflight.checks,
            startedBy: by,
            startedAt: now,
            previousVersionId: preflight.current?.versionId ?? secret.currentVersionId,
            previousFingerprint: preflight.current?.fingerprint ?? secret.currentFingerprint,
            previousLastRotated: secret.lastRotated,
            previousNextRotation: secret.nextRotation,
            previousLifecycle: secret.lifecycle,
            breakGlassBy: kind === 'emergency' ? by : null,
            breakGlassReason: kind === 'emergency' ? (options.breakGlassReason ?? null) : null,
            incidentId: options.incidentId ?? null,
          },
          checklist,
        );
        if (kind === 'scheduled') this.deps.inventoryService.setLifecycle(secret.name, 'rotating', actor, { rotation: rotationId });
        for (const request of this.approvalRequests(rotationId, by, requiredApprovals)) this.deps.followUps.schedule(request);
        this.scheduleNudges(rotationId, 1, by);
        const events: AuditEventInput[] = [
          {
            actor: by,
            action: 'rotation.started',
            secret: secret.name,
            details: {
              rotation: rotationId,
              kind,
              ticket,
              requiredApprovals,
              checklist: checklist.map((step) => step.id),
              preflight: preflight.checks,
              provider: secret.provider,
              providerRef: secret.providerRef,
              previousVersionId: preflight.current?.versionId ?? null,
              // The rest of the row, so the evidence and `rotor audit verify --deep` can check it against this event.
              environment: secret.environment,
              checklistSource: checklistSourceOf({ secret, policy: this.deps.policy, emergency: kind === 'emergency' }),
              previousFingerprint: preflight.current?.fingerprint ?? secret.currentFingerprint,
              previousNextRotation: secret.nextRotation,
              previousLastRotated: secret.lastRotated,
              previousLifecycle: secret.lifecycle,
              ...(options.incidentId ? { incident: options.incidentId, breakGlassReason: options.breakGlassReason ?? null } : {}),
            },
          },
        ];
        this.deps.onChange?.(this.get(rotationId), events);
        return { result: rotationId, events };
      });
    } catch (error) {
      // Two people pressed Start at once: the unique index lets one rotation in.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        const winner = this.deps.repo.openFor(secret.id);
        throw new RotorError('conflict', `${secret.name} was started a moment ago by ${winner?.rotation.heldBy ?? 'someone else'}; run \`/rotate ${secret.name}\` to continue that rotation.`, { cause: error });
      }
      throw error;
    }
    this.deps.kickFollowUps?.();
    const record = this.get(id);
    this.deps.onEvent?.({ kind: 'started', rotation: record.rotation });
    return record;
  }

  /**
   * The reference a scheduled rotation captures is the one its preflight checked: an edit that
   * moved it while the preflight ran starts nothing. (An emergency keeps its incident's binding.)
   */
  private refuseMovedReference(checked: Secret, binding: StoreBinding | undefined): void {
    if (binding) return;
    const now = this.deps.inventoryService.require(checked.name);
    if (!sameBinding(now, checked)) {
      throw new RotorError('conflict', `Where ${checked.name} is stored changed while the rotation was starting (now ${describeBinding(now)}, checked ${describeBinding(checked)}); nothing was started. Run \`/rotate ${checked.name}\` again.`);
    }
  }

  /** Another person allowed to rotate the secret takes the rotation over. */
  takeOver(actor: Actor, id: number, expectedVersion: number): RotationRecord {
    const record = this.authorized(actor, id, expectedVersion);
    requireOpen(record);
    const by = actorId(actor);
    if (record.rotation.heldBy === by) return record;
    requireNotApprover(record, by);
    return this.transition(record, { heldBy: by }, () => ({ events: [{ actor: by, action: 'rotation.taken_over', secret: record.rotation.secretName, details: { rotation: id, from: record.rotation.heldBy } }] }));
  }

  /** A person ticks the current manual step, with an optional note. */
  tickStep(actor: Actor, id: number, stepId: string, input: { note?: string | null; expectedVersion: number }): RotationRecord {
    const record = this.authorized(actor, id, input.expectedVersion);
    const by = actorId(actor);
    requireNotApprover(record, by);
    const step = stepFor(record, stepId, 'tick');
    const note = cleanNote(input.note, false, 'note');
    return this.transition(record, { heldBy: by }, (now) => {
      this.changeStep(record, step, ['pending'], { state: 'done', doneBy: by, doneAt: now, note, lastError: null });
      return { events: [{ actor: by, action: 'rotation.step_done', secret: record.rotation.secretName, details: { rotation: id, step: step.id, position: step.position, title: step.title, note } }] };
    });
  }

  /** Skips the current optional step; a reason is required and recorded. */
  skipStep(actor: Actor, id: number, stepId: string, input: { reason: string | null; expectedVersion: number }): RotationRecord {
    const record = this.authorized(actor, id, input.expectedVersion);
    const by = actorId(actor);
    requireNotApprover(record, by);
    const step = stepFor(record, stepId, 'skip');
    const reason = cleanNote(input.reason, true, 'reason') as string;
    return this.transition(record, { heldBy: by }, (now) => {
      this.changeStep(record, step, ['pending'], { state: 'skipped', doneBy: by, doneAt: now, skipReason: reason });
      return { events: [{ actor: by, action: 'rotation.step_skipped', secret: record.rotation.secretName, details: { rotation: id, step: step.id, position: step.position, title: step.title, reason } }] };
    });
  }

  /**
   * Runs the current provider step. The step is marked running (so a second click is told to
   * wait) and `onStarted` is told, then the provider is called; its outcome is recorded, or its
   * failure is kept on the step (with what to do) so it can simply be run again.
   */
  async runStep(actor: Actor, id: number, stepId: string, input: { expectedVersion: number; onStarted?: (record: RotationRecord) => Promise<void> | void }): Promise<{ record: RotationRecord; error: RotorError | null }> {
    const record = this.authorized(actor, id, input.expectedVersion);
    const candidate = record.steps.find((step) => step.id === stepId);
    const staleRun = candidate !== undefined && isPastLease(candidate, this.deps.clock.now());
    const by = actorId(actor);
    requireNotApprover(record, by);
    const step = stepFor(record, stepId, 'run', { runIsStale: staleRun });
    // The token is on the step before the call: whatever the call leaves at the store, a check (or an abandon) finds it by it.
    const requestToken = typeof step.result?.requestToken === 'string' ? step.result.requestToken : randomUUID();
    const running = this.transition(record, actor.kind === 'system' ? {} : { heldBy: by }, (now) => {
      // In the transaction that marks the step running: a revocation confirmed a moment ago has
      // marked the secret compromised, and the store must not move under it (see inFlightStep).
      if (record.rotation.kind === 'scheduled' && this.deps.inventory.get(record.rotation.secretName)?.lifecycle === 'compromised') {
        throw new RotorError('conflict', `${record.rotation.secretName} was just revoked: its emergency rotation replaces this one, so “${step.title}” does not run. Follow the incident's status message.`);
      }
      this.changeStep(record, step, staleRun ? ['pending', 'running'] : ['pending'], { state: 'running', startedAt: now, attempts: step.attempts + 1, result: { ...withoutLostOutcome(step.result), requestToken } });
      // Durable: should this run die before its outcome is recorded, the store is asked once the lease is over.
      this.deps.followUps.schedule(this.stepCheck(id, step.id, step.attempts + 1, iso((leaseEnd({ startedAt: now }) as DateTime).plus({ minutes: 1 }))));
      return { events: [] };
    });
    await input.onStarted?.(running);
    let outcome: StepOutcome | NotYet;
    try {
      outcome = await this.perform(actor, running, step, requestToken);
    } catch (error) {
      if (error instanceof NotYet) outcome = error;
      else {
        const failure = error instanceof RotorError ? error : new RotorError('provider', `“${step.title}” failed: ${describeError(error)}`, { cause: error });
        if (isOutcomeUnknown(step, error)) return this.leaveOutcomeUnknown(by, running, step, failure);
        const failed = this.finishStep(running.rotation.id, step, (now) => {
          this.scheduleRedrive(running, step, step.attempts + 1, now);
          return {
            stepChange: { state: 'pending', startedAt: null, lastError: failure.message },
            ...(error instanceof PartialStepError ? { change: error.change } : {}),
            events: [{ actor: by, action: 'rotation.step_failed', secret: record.rotation.secretName, details: { rotation: id, step: step.id, action: step.action, error: failure.message, at: now } }],
          };
        });
        return { record: failed, error: failure };
      }
    }
    if (outcome instanceof NotYet) {
      const waiting = outcome;
      const updated = this.finishStep(running.rotation.id, step, () => ({
        stepChange: { state: 'pending', startedAt: null, result: { ...waiting.result, requestToken }, lastError: null },
        change: waiting.change,
        events: [{ actor: by, action: 'rotation.step_waiting', secret: record.rotation.secretName, details: { rotation: id, step: step.id, ...waiting.result } }],
      }));
      return { record: updated, error: null };
    }
    const done = outcome;
    const finished = this.finishStep(running.rotation.id, step, (now) => {
      for (const request of done.followUps ?? []) this.deps.followUps.schedule(request);
      return {
        stepChange: { state: 'done', doneBy: by, doneAt: now, result: { ...done.result, requestToken }, lastError: null },
        change: done.change,
        events: [{ actor: by, action: 'rotation.step_done', secret: record.rotation.secretName, details: { rotation: id, step: step.id, position: step.position, title: step.title, action: step.action, ...done.result } }],
      };
    });
    return { record: finished, error: null };
  }

  /** A write whose answer was lost: the step stays running, its outcome unknown until the store is asked (see unknown-outcome.ts). */
  private leaveOutcomeUnknown(by: string, running: RotationRecord, step: RotationStep, failure: RotorError): { record: RotationRecord; error: RotorError } {
    const unknown = outcomeUnknownError(step, failure);
    const left = this.finishStep(running.rotation.id, step, () => ({
      stepChange: { result: { ...this.get(running.rotation.id).steps.find((candidate) => candidate.id === step.id)?.result, outcomeUnknown: true }, lastError: unknown.message },
      events: [{ actor: by, action: 'rotation.step_outcome_unknown', secret: running.rotation.secretName, details: { rotation: running.rotation.id, step: step.id, action: step.action, error: failure.message } }],
    }));
    return { record: left, error: unknown };
  }

  /** The provider step left running past its lease (its runner presumed dead), or null. */
  interruptedStep(record: RotationRecord): RotationStep | null {
    if (!OPEN_STATES.includes(record.rotation.state)) return null;
    return record.steps.find((step) => isPastLease(step, this.deps.clock.now())) ?? null;
  }

  /**
   * "Check the store": a provider step left running past its lease is settled by what the store
   * shows. Done there: recorded as done. Not done: the step waits for its button again (an open
   * incident's disable step is run again at once). Something Rotor did not do: the step waits,
   * saying what the store shows and what the person may choose. A step that only reads the store
   * is simply run again. From the modal (a person, at the version they saw) or from the step's
   * follow-up (Rotor).
   */
  async checkStep(actor: Actor, id: number, stepId: string, input: { expectedVersion?: number } = {}): Promise<{ record: RotationRecord; error: RotorError | null }> {
    const record = input.expectedVersion === undefined ? this.get(id) : this.authorized(actor, id, input.expectedVersion);
    if (input.expectedVersion === undefined) this.rotatable(actor, record.rotation.secretName);
    requireOpen(record);
    const step = record.steps.find((candidate) => candidate.id === stepId);
    if (!step) throw new ValidationError(`This rotation of ${record.rotation.secretName} has no step \`${stepId}\`; reopen it with \`/rotate ${record.rotation.secretName}\`.`, []);
    const now = this.deps.clock.now();
    if (step.state !== 'running') throw new RotorError('conflict', `“${step.title}” is not running (it is ${step.state}); there is nothing to check.`);
    if (!isPastLease(step, now)) {
      throw new RotorError('conflict', `“${step.title}” is being done right now (started at ${step.startedAt ?? 'just now'}); if it is still running at ${iso(leaseEnd(step) as DateTime)}, check the store then.`);
    }
    const by = actorId(actor);
    requireNotApprover(record, by);
    const bound = storeBindingOf(record.rotation);
    let finding: Awaited<ReturnType<typeof inspectInterruptedStep>>;
    try {
      finding = await inspectInterruptedStep({ operations: this.deps.operations, compromisedVersionOf: (held) => this.compromisedVersionOf(held) }, record, step, this.now());
      if (finding.kind === 'done' && finding.finish === 'promote' && record.rotation.newVersionId) {
        // The store made the new version current; what the interrupted promote left (AWSPENDING on it) is finished.
        await this.deps.operations.promote(bound, { newVersionId: record.rotation.newVersionId, expectedCurrentVersionId: record.rotation.newVersionId }, actor);
      }
    } catch (error) {
      const failure = error instanceof RotorError ? error : new RotorError('provider', describeError(error), { cause: error });
      return { record: this.get(id), error: new RotorError(failure.code, `Could not ask the store what became of “${step.title}”: ${failure.message} The step stays as it is; check again in a minute.`, { cause: error }) };
    }
    if (finding.kind === 'rerun') return this.runStep(actor, id, step.id, { expectedVersion: this.get(id).rotation.version });
    const settled = this.finishStep(id, step, (at) => {
      if (finding.kind === 'done') {
        return {
          stepChange: { state: 'done', doneBy: by, doneAt: at, result: { ...step.result, ...finding.result, reconciled: true }, lastError: null },
          change: finding.change,
          events: [
            { actor: by, action: 'rotation.step_done', secret: record.rotation.secretName, details: { rotation: id, step: step.id, position: step.position, title: step.title, action: step.action, reconciled: true, ...finding.result } },
          ],
        };
      }
      this.scheduleRedrive(record, step, step.attempts, at);
      return {
        stepChange: { state: 'pending', startedAt: null, lastError: finding.why },
        events: [{ actor: by, action: 'rotation.step_reconciled', secret: record.rotation.secretName, details: { rotation: id, step: step.id, action: step.action, outcome: finding.kind, why: finding.why } }],
      };
    });
    const redrive = settled.steps.find((candidate) => candidate.id === step.id);
    if (redrive && this.mustRedrive(settled, redrive)) return this.runStep(actor, id, step.id, { expectedVersion: settled.rotation.version });
    return { record: settled, error: null };
  }

  /**
   * The step's follow-up, once its lease is over or a re-drive is due: settles the run if it is
   * still the one that scheduled it, and drives an open incident's disable step until it holds.
   * Returns the next check when one is needed.
   */
  async followUpStep(id: number, stepId: string, attempt: number, why: 'lease' | 'redrive'): Promise<FollowUpRequest[]> {
    const record = this.find(id);
    const step = record?.steps.find((candidate) => candidate.id === stepId);
    if (!record || !step || !OPEN_STATES.includes(record.rotation.state)) return [];
    const actor: Actor = { kind: 'system' };
    let outcome: { record: RotationRecord; error: RotorError | null } | null = null;
    try {
      if (step.state === 'running' && step.attempts === attempt && isPastLease(step, this.deps.clock.now())) outcome = await this.checkStep(actor, id, stepId);
      else if (why === 'redrive' && step.attempts === attempt && this.mustRedrive(record, step)) outcome = await this.runStep(actor, id, stepId, { expectedVersion: record.rotation.version });
    } catch (error) {
      // A person (or another replica) got there first: theirs is the run.
      if (!(error instanceof StaleRotationError) && !(error instanceof RotorError && error.code === 'conflict')) throw error;
    }
    // The store could not be asked (the step is still running): the follow-up's own retries ask again.
    const after = this.find(id)?.steps.find((candidate) => candidate.id === stepId);
    if (outcome?.error && after?.state === 'running') throw outcome.error;
    return [];
  }

  /** An open incident's disable step that has run and is not done: it is run again until the store shows it done. */
  private mustRedrive(record: RotationRecord, step: RotationStep): boolean {
    return (
      step.action === 'disable_compromised' &&
      step.state === 'pending' &&
      step.attempts > 0 &&
      OPEN_STATES.includes(record.rotation.state) &&
      (this.deps.incidents?.revocationFacts(record.rotation.id)?.incidentOpen ?? false)
    );
  }

  /** After a disable step that did not hold, the next re-drive, further apart each time. */
  private scheduleRedrive(record: RotationRecord, step: RotationStep, attempts: number, now: string): void {
    if (step.action !== 'disable_compromised' || !(this.deps.incidents?.revocationFacts(record.rotation.id)?.incidentOpen ?? false)) return;
    const minutes = REDRIVE_MINUTES[Math.min(attempts, REDRIVE_MINUTES.length) - 1] ?? 1;
    this.deps.followUps.schedule(this.stepCheck(record.rotation.id, step.id, attempts, iso(DateTime.fromISO(now, { zone: 'utc' }).plus({ minutes })), 'redrive'));
  }

  private stepCheck(id: number, stepId: string, attempt: number, dueAt: string, why: 'lease' | 'redrive' = 'lease'): FollowUpRequest {
    return { kind: ROTATION_FOLLOW_UPS.stepCheck, topic: rotationTopic(id), occurrence: `${stepId}:${attempt}:${why}`, dueAt, payload: { step: stepId, attempt, why } };
  }

  /** The version an emergency rotation disables: the incident's, or the one current when it started. */
  private compromisedVersionOf(record: RotationRecord): string | null {
    return this.deps.incidents?.revocationFacts(record.rotation.id)?.compromisedVersionId ?? record.rotation.previousVersionId;
  }

  /** An approver approves, filling one required role they hold; nobody approves their own rotation. */
  approve(actor: Actor, id: number): RotationRecord {
    const record = this.get(id);
    const by = actorId(actor);
    this.deps.authorizer.require(actor, { action: 'approve', secret: this.secretOf(record), rotationStartedBy: record.rotation.startedBy });
    const worked = workedOn(record, by);
    if (worked) throw new RotorError('forbidden', `You worked on this rotation (${worked}), so you cannot also approve it (two-person rule).`);
    requireOpen(record);
    const role = this.roleToFill(record, by);
    return this.transition(record, record.rotation.state === 'awaiting_approval' && missingApprovals(record).length === 1 ? { state: 'in_progress' } : {}, (now) => {
      if (!this.deps.repo.addApproval(id, { role, decision: 'approved', decidedBy: by, decidedAt: now, reason: null })) {
        throw new RotorError('conflict', `Someone approved this rotation as ${ROLE_LABELS[role]} a moment ago; nothing more is needed from you for that role.`);
      }
      this.deps.followUps.schedule({ kind: ROTATION_FOLLOW_UPS.decisionNotice, topic: rotationTopic(id), occurrence: `approved:${role}`, dueAt: now, payload: { role, by } });
      return { events: [{ actor: by, action: 'rotation.approved', secret: record.rotation.secretName, details: { rotation: id, role, ticket: record.rotation.ticket } }] };
    }, { kick: true, decision: true });
  }

  /** An approver rejects: the rotation stops (cleaning up at the provider) and the rotator is told why. */
  async reject(actor: Actor, id: number, reasonText: string | null): Promise<RotationRecord> {
    const record = this.get(id);
    const by = actorId(actor);
    this.deps.authorizer.require(actor, { action: 'approve', secret: this.secretOf(record), rotationStartedBy: record.rotation.startedBy });
    if (record.rotation.heldBy === by) throw new RotorError('forbidden', 'You are running this rotation; to stop it, abandon it instead.');
    requireOpen(record);
    const reason = cleanNote(reasonText, true, 'reason') as string;
    const role = this.roleToFill(record, by);
    const cleanup = await this.cleanUpProvider(actor, record, false);
    return this.transition(this.get(id), { state: 'rejected', endedAt: this.now(), endedBy: by, endReason: reason }, (now) => {
      if (!this.deps.repo.addApproval(id, { role, decision: 'rejected', decidedBy: by, decidedAt: now, reason })) {
        throw new RotorError('conflict', `Someone decided for the ${ROLE_LABELS[role]} role a moment ago; reopen the request to see where it stands.`);
      }
      this.endRotation(record, actor, cleanup);
      this.deps.followUps.schedule({ kind: ROTATION_FOLLOW_UPS.decisionNotice, topic: rotationTopic(id), occurrence: `rejected:${role}`, dueAt: now, payload: { role, by, reason } });
      return { events: [{ actor: by, action: 'rotation.rejected', secret: record.rotation.secretName, details: { rotation: id, role, reason, cleanup } }] };
    }, { fromStates: OPEN_STATES, kick: true, event: 'rejected' });
  }

  /**
   * Stops an open rotation, with a reason. What it left at the provider is cleaned up first
   * (a pending version's label removed; a version it already made current rolled back), so no
   * `AWSPENDING` blocks the next rotation; if the cleanup fails nothing is recorded and the error
   * says how to do it by hand, after which `cleanedByHand` records that.
   */
  async abandon(actor: Actor, id: number, input: { reason: string | null; expectedVersion: number; cleanedByHand?: boolean }): Promise<RotationRecord> {
    const record = this.authorized(actor, id, input.expectedVersion);
    requireOpen(record);
    const reason = cleanNote(input.reason, true, 'reason') as string;
    const by = actorId(actor);
    const cleanup = await this.cleanUpProvider(actor, record, input.cleanedByHand ?? false);
    return this.transition(this.get(id), { state: 'abandoned', endedAt: this.now(), endedBy: by, endReason: reason }, () => {
      this.endRotation(record, actor, cleanup);
      return { events: [{ actor: by, action: 'rotation.abandoned', secret: record.rotation.secretName, details: { rotation: id, reason, cleanup } }] };
    }, { fromStates: OPEN_STATES, event: 'abandoned' });
  }

  /**
   * Ends the scheduled rotation open on a secret that has just been revoked: the emergency
   * rotation replaces it. What it left pending at the provider is discarded when possible (a
   * failure is recorded, not fatal: the emergency writes its own version); a version it already
   * made current stays (it is newer than the compromised one), and the secret stays compromised.
   */
  async supersede(actor: Actor, id: number, incidentId: number): Promise<RotationRecord> {
    const record = this.get(id);
    if (record.rotation.kind !== 'scheduled' || !OPEN_STATES.includes(record.rotation.state)) return record;
    const by = actorId(actor);
    let cleanup: Record<string, unknown> = { action: 'none' };
    const { rotation } = record;
    if (rotation.provider !== 'manual' && rotation.newVersionId && !rotation.promotedAt && rotation.newVersionId !== rotation.previousVersionId) {
      try {
        await this.deps.operations.discard(storeBindingOf(rotation), rotation.newVersionId, actor);
        cleanup = { action: 'discarded_pending', versionId: rotation.newVersionId };
      } catch (error) {
        cleanup = { action: 'failed', versionId: rotation.newVersionId, error: describeError(error) };
      }
    }
    const reason = `Superseded by the emergency revocation of incident #${incidentId}.`;
    return this.transition(this.get(id), { state: 'abandoned', endedAt: this.now(), endedBy: by, endReason: reason }, () => {
      this.deps.followUps.cancel(rotationTopic(id));
      return { events: [{ actor: by, action: 'rotation.abandoned', secret: rotation.secretName, details: { rotation: id, reason, cleanup, incident: incidentId } }] };
    }, { fromStates: OPEN_STATES, event: 'abandoned' });
  }

  /**
   * Completes the rotation once every step is settled and the provider confirmed the new
   * version: last-rotated becomes now and the next date follows from the interval (so the old
   * cycle's reminders stop), and the announcement and the end-of-retention DM are scheduled.
   */
  complete(actor: Actor, id: number, expectedVersion: number): RotationRecord {
    const record = this.authorized(actor, id, expectedVersion);
    requireOpen(record);
    const blockers = completionBlockers(record);
    if (blockers.length > 0) throw new ValidationError(`The rotation of ${record.rotation.secretName} cannot complete yet: ${blockers.join('; ')}.`, []);
    const by = actorId(actor);
    requireNotApprover(record, by);
    const { rotation } = record;
    const now = this.now();
    const durationSeconds = Math.round(DateTime.fromISO(now).diff(DateTime.fromISO(rotation.startedAt)).as('seconds'));
    return this.transition(record, { state: 'completed', completedAt: now, heldBy: by }, () => {
      this.deps.inventoryService.recordRotation(rotation.secretName, { rotatedAt: now, versionId: rotation.newVersionId, fingerprint: rotation.newFingerprint }, actor, 'secret.rotated', { rotation: id, ticket: rotation.ticket });
      this.deps.followUps.cancel(rotationTopic(id), ROTATION_FOLLOW_UPS.staleNudge);
      this.deps.followUps.cancel(rotationTopic(id), ROTATION_FOLLOW_UPS.staleEscalation);
      this.deps.followUps.cancel(rotationTopic(id), ROTATION_FOLLOW_UPS.approvalReminder);
      for (const channel of this.announcementChannels(rotation.secretName)) {
        this.deps.followUps.schedule({ kind: ROTATION_FOLLOW_UPS.announce, topic: rotationTopic(id), occurrence: channel, dueAt: now, payload: { channel } });
      }
      // A manual secret has no removal step; its rotator is still told when the overlap may end.
      // An emergency has no overlap: the version before it was disabled as compromised.
      if (rotation.kind === 'scheduled' && !record.steps.some((step) => step.action === 'schedule_removal' && step.state === 'done')) {
        this.deps.followUps.schedule(this.removalFollowUp(record, now));
      }
      const approvals = record.approvals.filter((approval) => approval.decision === 'approved').map((approval) => ({ role: approval.role, by: approval.decidedBy, at: approval.decidedAt }));
      return {
        events: [
          {
            actor: by,
            action: 'rotation.completed',
            secret: rotation.secretName,
            details: { rotation: id, ticket: rotation.ticket, approvals, versionId: rotation.newVersionId, fingerprint: rotation.newFingerprint, previousVersionId: rotation.previousVersionId, durationSeconds },
          },
        ],
      };
    }, { kick: true, event: 'completed', durationSeconds });
  }

  /**
   * What a person confirms before the rotation is rolled back (rollback-plan.ts): the target set
   * back first; for a manual secret, the whole of it. Refused as `rollback` would be.
   */
  rollbackPlanFor(actor: Actor, id: number): RollbackItem[] {
    const { record, secret } = this.rollbackable(actor, id);
    return rollbackPlan(record, secret.type);
  }

  /**
   * Everything that decides whether the rotation may be rolled back now, checked before the store
   * is touched (and before a form is acknowledged, so a refusal shows on its field): who asks, the
   * rotation and its window, the reason, and every item of the plan confirmed.
   */
  checkRollback(actor: Actor, id: number, input: { reason: string | null; confirmed: readonly string[] }): { record: RotationRecord; secret: Secret; reason: string; plan: RollbackItem[] } {
    const { record, secret } = this.rollbackable(actor, id);
    const reason = cleanNote(input.reason, true, 'reason') as string;
    const plan = rollbackPlan(record, secret.type);
    const missing = unconfirmed(plan, input.confirmed);
    if (missing.length > 0) {
      throw new ValidationError(
        `Rolling back the rotation of ${record.rotation.secretName} needs ${missing.length === 1 ? 'this' : 'these'} done and confirmed first: ${missing.map((item) => `“${item.label}”`).join(', ')}.`,
        [{ where: 'confirmations', message: `Confirm each once it is done: ${missing.map((item) => item.label).join('; ')}.` }],
      );
    }
    return { record, secret, reason, plan };
  }

  /** Until when the rotation may be rolled back, if it may be now: what views offer (a Roll back button). */
  rollbackOffer(record: RotationRecord): DateTime | null {
    const until = this.rollbackUntil(record);
    return until && this.rollbackBlocker(record) === null ? until : null;
  }

  /** The completed rotation, if it may be rolled back now; otherwise why not. */
  private rollbackable(actor: Actor, id: number): { record: RotationRecord; secret: Secret } {
    const record = this.get(id);
    const secret = this.rotatable(actor, record.rotation.secretName);
    const { rotation } = record;
    if (rotation.state !== 'completed') throw new RotorError('conflict', `Only a completed rotation can be rolled back; this one is ${rotation.state.replace('_', ' ')}.`);
    if (rotation.kind === 'emergency') throw new RotorError('conflict', 'An emergency rotation is not rolled back: the version before it is the compromised one. Rotate again instead.');
    if (!this.rollbackUntil(record)) {
      throw new RotorError('conflict', `The retention window of this rotation ended ${this.deps.policy.retentionHours} h after it went live, so the previous version may be gone; start a new rotation with \`/rotate ${rotation.secretName}\` instead.`);
    }
    const blocker = this.rollbackBlocker(record);
    if (blocker) throw new RotorError('conflict', blocker);
    if (rotation.provider !== 'manual' && !rotation.previousVersionId) {
      throw new RotorError('conflict', `Rotor did not know the previous version of ${rotation.secretName} when this rotation started, so it cannot restore it; do it at the provider by hand.`);
    }
    return { record, secret };
  }

  /**
   * What forbids rolling back a completed rotation whatever its window: an incident open on the
   * secret (the version before the rotation may be the leaked one, and the emergency rotation
   * owns the store), or a rotation newer than this one (open, or completed since): only the
   * latest change is undone, once nothing else is under way.
   */
  private rollbackBlocker(record: RotationRecord): string | null {
    const { rotation } = record;
    const name = rotation.secretName;
    const incident = this.deps.incidents?.openOn?.(name) ?? null;
    if (incident || this.deps.inventory.get(name)?.lifecycle === 'compromised') {
      return `${name} is under ${incident ? `incident #${incident.id}` : 'an incident'} (marked compromised), so nothing of it is rolled back: the version before this rotation may be the leaked one, and the incident's emergency rotation is what replaces it. Roll back nothing until the incident is closed; then rotate again if needed.`;
    }
    const open = this.deps.repo.openFor(rotation.secretId);
    if (open) {
      return `A newer rotation of ${name} is open (#${open.rotation.id}, ${open.rotation.state.replace('_', ' ')}, held by ${open.rotation.heldBy} since ${open.rotation.startedAt}): rolling this one back would change the secret under it. Complete or abandon that rotation first (\`/rotate ${name}\`).`;
    }
    const latest = this.deps.repo.latestFor(rotation.secretId);
    if (latest && latest.rotation.id !== rotation.id && latest.rotation.state === 'completed') {
      return `A newer rotation of ${name} (#${latest.rotation.id}) completed at ${latest.rotation.completedAt}; only the latest one can be rolled back.`;
    }
    return null;
  }

  /**
   * Within the retention window, undoes a completed rotation once the person confirmed the plan:
   * the previous version is current again at the store (AWS moves AWSCURRENT back; Vault writes
   * its data as a new version) and is read back, the schedule is restored, and the announcement
   * channels are told exactly what the store holds now and what the person confirmed. A manual
   * secret's rollback is the person's: Rotor records what they confirmed and changes no store.
   */
  async rollback(actor: Actor, id: number, reasonText: string | null, confirmed: readonly string[] = []): Promise<RotationRecord> {
    const { record, secret, reason, plan } = this.checkRollback(actor, id, { reason: reasonText, confirmed });
    const { rotation } = record;
    const by = actorId(actor);
    const outcome: RollbackOutcome = { restored: null, confirmed: plan.map((item) => ({ id: item.id, label: item.label })) };
    if (rotation.provider !== 'manual') outcome.restored = await this.restorePrevious(actor, record);
    const restored = outcome.restored;
    return this.transition(this.get(id), { state: 'rolled_back', endedAt: this.now(), endedBy: by, endReason: reason }, (now) => {
      this.deps.inventoryService.restoreRotation(
        secret.name,
        { lastRotated: rotation.previousLastRotated, nextRotation: rotation.previousNextRotation, versionId: restored?.versionId ?? rotation.previousVersionId, fingerprint: restored?.fingerprint ?? rotation.previousFingerprint },
        actor,
        { rotation: id, reason },
      );
      this.deps.followUps.cancel(rotationTopic(id), ROTATION_FOLLOW_UPS.removalDue);
      for (const channel of this.announcementChannels(rotation.secretName)) {
        this.deps.followUps.schedule({ kind: ROTATION_FOLLOW_UPS.rolledBack, topic: rotationTopic(id), occurrence: channel, dueAt: now, payload: { channel, rollback: outcome } });
      }
      return {
        events: [
          {
            actor: by,
            action: 'rotation.rolled_back',
            secret: rotation.secretName,
            details: { rotation: id, reason, restoredVersionId: restored?.versionId ?? null, previousVersionId: rotation.previousVersionId, from: rotation.newVersionId, restored, confirmed: outcome.confirmed },
          },
        ],
      };
    }, { fromStates: ['completed'], kick: true, event: 'rolled_back' });
  }

  /** Makes the version before the rotation current again, then reads back what consumers now get. */
  private async restorePrevious(actor: Actor, record: RotationRecord): Promise<NonNullable<RollbackOutcome['restored']>> {
    const { rotation } = record;
    const previous = rotation.previousVersionId as string;
    const made = await this.deps.operations.restore(storeBindingOf(rotation), { versionId: previous, expectedCurrentVersionId: rotation.newVersionId }, actor);
    const current = (await this.deps.operations.validate(storeBindingOf(rotation))).current?.versionId ?? null;
    if (current !== made.versionId) {
      throw new RotorError('conflict', `${rotation.secretName}: after restoring version ${previous}, the store's current version is ${current ?? 'none'}, not ${made.versionId}; someone changed it meanwhile. Nothing was recorded: look at the store, then roll back again or rotate.`);
    }
    const read = await this.deps.operations.readVersion(storeBindingOf(rotation), current);
    return { versionId: read.versionId, fingerprint: read.fingerprint, copyOf: read.versionId === previous ? null : previous };
  }

  /** At the end of the retention window: takes the previous version out of service at the provider. */
  async removePrevious(actor: Actor, id: number): Promise<RotationRecord> {
    const record = this.get(id);
    this.rotatable(actor, record.rotation.secretName);
    const { rotation } = record;
    if (rotation.state !== 'completed') throw new RotorError('conflict', `This rotation was ${rotation.state.replace('_', ' ')}, so its previous version stays as it is.`);
    if (rotation.provider === 'manual') throw new RotorError('validation', `${rotation.secretName} is rotated by hand: revoke the previous value at its issuer yourself.`);
    if (!rotation.previousVersionId || !rotation.promotedAt) throw new RotorError('conflict', 'Rotor does not know which version to remove for this rotation; do it at the provider by hand.');
    this.refuseRemovedTwice(record);
    await this.deps.operations.deprecatePrevious(storeBindingOf(rotation), { previousVersionId: rotation.previousVersionId, promotedAt: rotation.promotedAt }, actor);
    // At the version read before the provider call: of two presses at once, one is recorded.
    return this.transition(record, {}, () => {
      this.refuseRemovedTwice(record);
      return { events: [{ actor: actorId(actor), action: 'rotation.previous_removed', secret: rotation.secretName, details: { rotation: id, versionId: rotation.previousVersionId } }] };
    });
  }

  /** A second press of Remove previous version (a replay, another device) is told it is done, and records nothing. */
  private refuseRemovedTwice(record: RotationRecord): void {
    const { rotation } = record;
    const removed = this.deps.trail.ofRotation(rotation.id, rotation.secretName).find((event) => event.action === 'rotation.previous_removed');
    if (removed) throw new RotorError('conflict', `The previous version (${rotation.previousVersionId}) of ${rotation.secretName} was already removed by ${removed.actor} at ${removed.at}; nothing more to do.`);
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
    const step = record.steps.find((candidate) => candidate.state === 'running' && candidate.action !== null && (!isPastLease(candidate, this.deps.clock.now()) || outcomeWasLost(candidate)));
    return step ? { record, step } : null;
  }

  /** Remembers the modal a person has open on the rotation, so others' changes refresh it. */
  saveView(id: number, userId: string, viewId: string): void {
    this.deps.repo.saveView(id, userId, viewId, this.now());
  }

  views(id: number): { userId: string; viewId: string }[] {
    return this.deps.repo.views(id);
  }

  private authorized(actor: Actor, id: number, expectedVersion: number): RotationRecord {
    const record = this.get(id);
    this.rotatable(actor, record.rotation.secretName);
    if (record.rotation.version !== expectedVersion) throw new StaleRotationError(record);
    return record;
  }

  private secretOf(record: RotationRecord): Secret {
    return this.deps.inventoryService.require(record.rotation.secretName);
  }

  /** The required role `by` fills with this decision: one they hold that nobody filled yet. */
  private roleToFill(record: RotationRecord, by: string): ApproverRole {
    const mine = record.approvals.find((approval) => approval.decidedBy === by);
    if (mine) throw new RotorError('conflict', `You already ${mine.decision} this rotation as ${ROLE_LABELS[mine.role]}; one person fills one role, so the other approval must come from someone else.`);
    const held = approverRolesOf(this.deps.policy, by);
    const open = missingApprovals(record).filter((role) => held.includes(role));
    if (open.length > 0) return open[0] as ApproverRole;
    if (record.rotation.requiredApprovals.length === 0) throw new RotorError('conflict', `This rotation needs no approval (${record.rotation.environment} has none in the policy).`);
    throw new RotorError('conflict', `Every approval you could give here is already given: ${record.approvals.map((approval) => `${ROLE_LABELS[approval.role]} by ${approval.decidedBy}`).join(', ')}.`);
  }

  /**
   * One transition: the rotation changes at its current version (else someone else won), the
   * work's own writes and audit events go in the same transaction, and the rotation is touched
   * (its holder nudged a day later, security three days later, unless touched again).
   */
  private transition(
    record: RotationRecord,
    change: RotationChange,
    work: (now: string) => { events: AuditEventInput[] },
    options: { fromStates?: readonly Rotation['state'][]; kick?: boolean; event?: RotationEvent['kind']; durationSeconds?: number; decision?: boolean } = {},
  ): RotationRecord {
    const id = record.rotation.id;
    const now = this.now();
    const takesOver = change.heldBy !== undefined && change.heldBy !== record.rotation.heldBy;
    this.deps.audit.record(() => {
      if (!this.deps.repo.update(id, record.rotation.version, now, change, options.fromStates)) throw new StaleRotationError(this.get(id));
      const { events } = work(now);
      // A decision or a change of state may answer the approval requests sent: they are redrawn
      // (after the work, which may cancel the topic's follow-ups), due a moment before the DMs
      // the change itself sends, so a sweep does it first.
      if (change.state !== undefined || options.decision) {
        const dueAt = iso(this.deps.clock.now().minus({ milliseconds: 1 }));
        this.deps.followUps.schedule({ kind: ROTATION_FOLLOW_UPS.requestsRedraw, topic: rotationTopic(id), occurrence: `v${record.rotation.version + 1}`, dueAt });
      }
      // Whoever held it is told when someone else takes it over (the button, or working a step).
      if (takesOver) {
        const payload = { user: record.rotation.heldBy, by: change.heldBy };
        this.deps.followUps.schedule({ kind: ROTATION_FOLLOW_UPS.takenOver, topic: rotationTopic(id), occurrence: `v${record.rotation.version + 1}`, dueAt: now, payload });
      }
      this.touch(id, record.rotation.version + 1, change.heldBy ?? record.rotation.heldBy, change.state ?? record.rotation.state);
      this.deps.onChange?.(this.get(id), events);
      return { result: undefined, events };
    });
    if (options.kick || takesOver || change.state !== undefined || options.decision) this.deps.kickFollowUps?.();
    const updated = this.get(id);
    if (options.event) this.deps.onEvent?.({ kind: options.event, rotation: updated.rotation, ...(options.durationSeconds !== undefined ? { durationSeconds: options.durationSeconds } : {}) });
    return updated;
  }

  /** Records a provider step's end on the rotation as it is now (others may have acted during the call). */
  private finishStep(id: number, step: RotationStep, work: (now: string) => { stepChange: StepChange; change?: RotationChange; events: AuditEventInput[] }): RotationRecord {
    const now = this.now();
    this.deps.audit.record(() => {
      const fresh = this.get(id);
      const { stepChange, change, events } = work(now);
      if (!this.deps.repo.updateStep(id, step.id, ['running'], stepChange)) {
        throw new RotorError('conflict', `“${step.title}” was finished by another run meanwhile; the view shows the result.`);
      }
      this.deps.repo.update(id, fresh.rotation.version, now, change ?? {});
      this.touch(id, fresh.rotation.version + 1, fresh.rotation.heldBy, fresh.rotation.state);
      this.deps.onChange?.(this.get(id), events);
      return { result: undefined, events };
    });
    return this.get(id);
  }

  private changeStep(record: RotationRecord, step: RotationStep, fromStates: readonly RotationStep['state'][], change: StepChange): void {
    if (!this.deps.repo.updateStep(record.rotation.id, step.id, fromStates, change)) {
      throw new StaleRotationError(this.get(record.rotation.id));
    }
  }

  /** After any change: the stale nudges restart from now (the holder after a day, security after three). */
  private touch(id: number, version: number, heldBy: string, state: Rotation['state']): void {
    const topic = rotationTopic(id);
    this.deps.followUps.cancel(topic, ROTATION_FOLLOW_UPS.staleNudge);
    this.deps.followUps.cancel(topic, ROTATION_FOLLOW_UPS.staleEscalation);
    if (OPEN_STATES.includes(state)) this.scheduleNudges(id, version, heldBy);
  }

  private scheduleNudges(id: number, version: number, heldBy: string): void {
    const now = this.deps.clock.now();
    const topic = rotationTopic(id);
    this.deps.followUps.schedule({ kind: ROTATION_FOLLOW_UPS.staleNudge, topic, occurrence: `v${version}`, dueAt: iso(now.plus({ hours: STALE_NUDGE_HOURS })), payload: { version, user: heldBy } });
    for (const lead of this.deps.policy.roles.securityLeads) {
      this.deps.followUps.schedule({ kind: ROTATION_FOLLOW_UPS.staleEscalation, topic, occurrence: `v${version}:${lead}`, dueAt: iso(now.plus({ hours: STALE_ESCALATION_HOURS })), payload: { version, user: lead } });
    }
  }

  /** One DM per person who can fill a required role (the rotator excluded), now, and once more a day later. */
  private approvalRequests(id: number, by: string, roles: readonly ApproverRole[]): FollowUpRequest[] {
    const people = [...new Set(roles.flatMap((role) => holdersOfRole(this.deps.policy, role)))].filter((person) => person !== by);
    const now = this.deps.clock.now();
    const topic = rotationTopic(id);
    return people.flatMap((person) => [
      { kind: ROTATION_FOLLOW_UPS.approvalRequest, topic, occurrence: person, dueAt: iso(now), payload: { user: person } },
      { kind: ROTATION_FOLLOW_UPS.approvalReminder, topic, occurrence: person, dueAt: iso(now.plus({ hours: APPROVAL_RESEND_HOURS })), payload: { user: person } },
    ]);
  }

  private removalFollowUp(record: RotationRecord, from: string): FollowUpRequest {
    const start = record.rotation.promotedAt ?? from;
    const dueAt = iso(DateTime.fromISO(start, { zone: 'utc' }).plus({ hours: this.deps.policy.retentionHours }));
    return { kind: ROTATION_FOLLOW_UPS.removalDue, topic: rotationTopic(record.rotation.id), dueAt, payload: {} };
  }

  /** The announcement channel, and each consumer given as a channel id or mapped to one in the policy. */
  private announcementChannels(secretName: string): string[] {
    const secret = this.deps.inventory.get(secretName);
    const channels = new Set<string>();
    if (this.deps.policy.channels.announce) channels.add(this.deps.policy.channels.announce);
    for (const consumer of secret?.consumers ?? []) {
      const mapped = this.deps.policy.channels.consumers[consumer];
      if (mapped) channels.add(mapped);
      else if (/^[CG][A-Z0-9]{2,}$/.test(consumer)) channels.add(consumer);
    }
    return [...channels];
  }

  /**
   * What an unfinished rotation leaves behind, undone at the provider before it ends. What the
   * store shows decides, not only what Rotor recorded: a run that died between the store's change
   * and Rotor's record left a version Rotor never wrote down, found by the request token its step
   * carried before the call (AWS), and a promote cut short left that version current.
   */
  private async cleanUpProvider(actor: Actor, record: RotationRecord, cleanedByHand: boolean): Promise<Record<string, unknown>> {
    const { rotation } = record;
    if (rotation.provider === 'manual') return { action: 'none' };
    // A Vault write of this rotation that landed unrecorded is found by its write intent, not by a request token.
    if (!rotation.newVersionId && rotation.provider === 'vault') return this.undoUnrecordedWrite(actor, record, cleanedByHand);
    const ours = rotation.newVersionId ?? (rotation.provider === 'aws' ? requestTokenOf(creationStepOf(record)) : null);
    if (!ours || ours === rotation.previousVersionId) return { action: 'none' };
    if (cleanedByHand) return { action: 'by_hand', versionId: ours };
    const bound = storeBindingOf(rotation);
    const ops = this.deps.operations;
    let current = rotation.promotedAt !== null;
    try {
      const description = await ops.validate(bound);
      current = description.current?.versionId === ours;
      const held = current ? description.current : description.others.find((version) => version.versionId === ours);
      const outOfService = !held || (rotation.provider === 'aws' ? !current && held.labels.length === 0 : held.labels.includes('deleted') || held.labels.includes('destroyed'));
      if (outOfService) return rotation.newVersionId ? { action: 'none', versionId: ours, note: 'the store holds nothing of this rotation any more' } : { action: 'none' };
      if (!current) {
        await ops.discard(bound, ours, actor);
        return { action: 'discarded_pending', versionId: ours };
      }
      // The version before an emergency rotation is the compromised one: it is never made current again.
      if (rotation.kind === 'emergency') return { action: 'none', note: 'the new version stays current; the compromised one is not restored' };
      if (!rotation.previousVersionId) return { action: 'none', note: 'no previous version was known' };
      const restored = await ops.restore(bound, { versionId: rotation.previousVersionId, expectedCurrentVersionId: ours }, actor);
      // A promote cut short left AWSPENDING on the version it made current: it would block the next rotation.
      if (rotation.provider === 'aws' && (await ops.validate(bound)).others.some((version) => version.versionId === ours && version.labels.includes('AWSPENDING'))) await ops.discard(bound, ours, actor);
      return { action: 'restored_previous', versionId: restored.versionId, fingerprint: restored.fingerprint };
    } catch (error) {
      const byHand =
        rotation.provider === 'aws' && !current
          ? `aws secretsmanager update-secret-version-stage --secret-id ${rotation.providerRef} --version-stage AWSPENDING --remove-from-version-id ${ours}`
          : `make version ${rotation.previousVersionId ?? '(the previous one)'} current again at the provider`;
      throw new CleanupFailedError(`Could not clean up what this rotation left at the provider (${describeError(error)}). Nothing was recorded. Try again, or do it by hand (${byHand}) and then choose “Abandon: cleaned up by hand…”.`, error);
    }
  }

  /**
   * A Vault write of this rotation that landed unrecorded (its answer lost, its run killed) is
   * current at once, so stopping the rotation writes the previous version's data back (with
   * check-and-set on Rotor's version), as a rollback does. An emergency keeps it: the version
   * before it is the compromised one.
   */
  private async undoUnrecordedWrite(actor: Actor, record: RotationRecord, cleanedByHand: boolean): Promise<Record<string, unknown>> {
    const { rotation } = record;
    if (rotation.provider !== 'vault') return { action: 'none' };
    let own: { versionId: string; fingerprint: string } | null;
    try {
      own = await this.ownUnrecordedWrite(record);
    } catch (error) {
      throw new RotorError('provider', `Could not check whether Rotor's write of a new version of ${rotation.secretName} reached Vault (${describeError(error)}). Nothing was recorded; try again when Vault answers.`, { cause: error });
    }
    if (!own) return { action: 'none' };
    if (cleanedByHand) return { action: 'by_hand', versionId: own.versionId };
    if (rotation.kind === 'emergency') return { action: 'none', versionId: own.versionId, note: 'the version Rotor wrote stays current; the compromised one is not restored' };
    if (!rotation.previousVersionId) return { action: 'none', versionId: own.versionId, note: 'no previous version was known' };
    try {
      const restored = await this.deps.operations.restore(storeBindingOf(rotation), { versionId: rotation.previousVersionId, expectedCurrentVersionId: own.versionId }, actor);
      return { action: 'restored_previous', versionId: restored.versionId, fingerprint: restored.fingerprint, undid: own.versionId };
    } catch (error) {
      throw new RotorError(
        'provider',
        `Rotor's own write (version ${own.versionId}) is current in Vault, and writing version ${rotation.previousVersionId}'s data back failed (${describeError(error)}). Nothing was recorded. Try again, or restore it by hand (\`vault kv rollback -version=${rotation.previousVersionId}\` on ${rotation.providerRef}).`,
        { cause: error },
      );
    }
  }

  /** Puts the secret back as it was (its lifecycle; a restored version) and drops the rotation's pending follow-ups. */
  private endRotation(record: RotationRecord, actor: Actor, cleanup: Record<string, unknown>): void {
    const { rotation } = record;
    if (rotation.kind === 'scheduled') this.deps.inventoryService.setLifecycle(rotation.secretName, rotation.previousLifecycle, actor, { rotation: rotation.id });
    if (cleanup.action === 'restored_previous' && typeof cleanup.versionId === 'string' && typeof cleanup.fingerprint === 'string') {
      this.deps.inventoryService.recordVersion(rotation.secretName, { versionId: cleanup.versionId, fingerprint: cleanup.fingerprint }, actor, 'secret.version_recorded', { rotation: rotation.id });
    }
    this.deps.followUps.cancel(rotationTopic(rotation.id));
  }

  private async preflight(secret: Secret, actor: string, requiredApprovals: readonly ApproverRole[]): Promise<PreflightResult> {
    return runPreflight({ registry: this.deps.registry, people: this.deps.people, policy: this.deps.policy }, { secret, actor, requiredApprovals });
  }

  private checklistFor(secret: Secret, preflight: PreflightResult, kind: RotationKind, revocationOrder?: RevocationOrder): ChecklistSnapshot {
    return resolveChecklist({
      secret,
      provider: { rotationConfigured: preflight.description?.rotationConfigured ?? false, valueField: preflight.valueField },
      policy: this.deps.policy,
      emergency: kind === 'emergency',
      ...(revocationOrder ? { revocationOrder } : {}),
    });
  }

  /** The provider's half of a step. Throws a RotorError saying what to do, or NotYet. */
  private async perform(actor: Actor, record: RotationRecord, step: RotationStep, requestToken: string): Promise<StepOutcome> {
    const { rotation } = record;
    const bound = storeBindingOf(rotation);
    const ops = this.deps.operations;
    const now = this.now();
    switch (step.action) {
      case 'create_version': {
        if (rotation.newVersionId) return { result: { versionId: rotation.newVersionId, note: 'already created' }, change: {} };
        const own = rotation.provider === 'vault' ? await this.ownUnrecordedWrite(record) : null;
        if (own) return { result: { versionId: own.versionId, fingerprint: own.fingerprint, promotedOnCreate: true, adopted: true }, change: { newVersionId: own.versionId, newFingerprint: own.fingerprint, promotedAt: now } };
        const decision = await ops.valuePlacement(bound);
        if (!decision.placement) throw new RotorError('conflict', decision.message);
        const created = await ops.createVersion(bound, actor, {
          expectedCurrentVersionId: rotation.placeholderVersionId ?? rotation.previousVersionId,
          requestToken,
          placement: decision.placement,
          beforeWrite: (intent) => this.recordWriteIntent(rotation.id, step, requestToken, intent),
        });
        return {
          result: { versionId: created.versionId, fingerprint: created.fingerprint, promotedOnCreate: created.promotedOnCreate, placement: decision.placement },
          change: { newVersionId: created.versionId, newFingerprint: created.fingerprint, ...(created.promotedOnCreate ? { promotedAt: now } : {}) },
        };
      }
      case 'await_provider_rotation': {
        let newVersionId = rotation.newVersionId;
        if (!newVersionId) newVersionId = (await ops.createVersion(bound, actor, { expectedCurrentVersionId: rotation.previousVersionId, requestToken })).versionId;
        const description = await ops.validate(bound);
        if (description.current?.versionId !== newVersionId) {
          throw new NotYet({ newVersionId }, { versionId: newVersionId, waiting: 'the rotation function has not made the new version current yet; check again in a minute' });
        }
        const current = await ops.readVersion(bound, newVersionId);
        return { result: { versionId: newVersionId, fingerprint: current.fingerprint }, change: { newVersionId, newFingerprint: current.fingerprint, promotedAt: now } };
      }
      case 'detect_version': {
        const detected = await this.detectNewVersion(record);
        return { result: detected, change: { newVersionId: detected.versionId, newFingerprint: detected.fingerprint, ...(detected.alreadyCurrent ? { promotedAt: now } : {}) } };
      }
      case 'promote': {
        const newVersionId = this.requireNewVersion(record);
        await ops.promote(bound, { newVersionId, expectedCurrentVersionId: rotation.promotedAt ? newVersionId : (rotation.placeholderVersionId ?? rotation.previousVersionId) }, actor);
        return { result: { versionId: newVersionId, previousVersionId: rotation.previousVersionId }, change: { promotedAt: rotation.promotedAt ?? now } };
      }
      case 'verify': {
        const newVersionId = this.requireNewVersion(record);
        const current = await ops.verify(bound, { versionId: newVersionId, fingerprint: rotation.newFingerprint }, actor);
        return { result: { versionId: current.versionId, fingerprint: current.fingerprint, matches: true }, change: { verifiedAt: now, newFingerprint: current.fingerprint } };
      }
      case 'schedule_removal': {
        if (!rotation.promotedAt) throw new RotorError('conflict', 'The new version is not live yet, so the removal of the previous one cannot be scheduled; promote it first.');
        const request = this.removalFollowUp(record, now);
        return { result: { removalDueAt: request.dueAt, previousVersionId: rotation.previousVersionId }, change: {}, followUps: [request] };
      }
      case 'disable_compromised':
        return this.disableCompromised(actor, record, requestToken);
      case null:
        throw new RotorError('validation', `“${step.title}” is done by a person: tick it when it is done.`);
    }
  }

  /**
   * Takes the compromised version out of service. AWS cannot leave a secret without AWSCURRENT:
   * once the replacement is live its labels are stripped; to disable at once, a generated
   * placeholder is made current first (and the real replacement follows it). Vault soft-deletes
   * the version (destroys it when the responder asked). A manual secret has a person's step instead.
   */
  private async disableCompromised(actor: Actor, record: RotationRecord, requestToken: string): Promise<StepOutcome> {
    const { rotation } = record;
    const name = rotation.secretName;
    const bound = storeBindingOf(rotation);
    const ops = this.deps.operations;
    const facts = this.deps.incidents?.revocationFacts(rotation.id) ?? null;
    if (!facts) throw new RotorError('validation', 'Disabling a compromised version belongs to an emergency revocation; run `/revoke` in the incident channel.');
    let compromised = facts.compromisedVersionId ?? rotation.previousVersionId;
    // The store was unreachable when the incident opened; until a replacement exists, its current version is the compromised one.
    if (!compromised && !rotation.newVersionId && !rotation.placeholderVersionId) compromised = (await ops.validate(bound)).current?.versionId ?? null;
    if (!compromised) throw new RotorError('conflict', `Rotor did not know the compromised version of ${name} when the incident opened; disable it at the provider by hand and tick this step.`);
    if (rotation.provider === 'vault') {
      const disabled = await ops.disableCompromised(bound, { versionId: compromised, destroy: facts.destroy }, actor);
      return { result: { versionId: compromised, action: disabled.action }, change: {} };
    }
    const live = rotation.promotedAt && rotation.newVersionId ? rotation.newVersionId : null;
    let replacement = live ?? rotation.placeholderVersionId;
    const change: RotationChange = {};
    if (!replacement) {
      if (facts.order !== 'disable_now') throw new RotorError('conflict', 'The replacement is not live yet: promote it first, then disable the compromised version (replace, then disable).');
      // After a failed attempt someone may have made a generated value current by hand (the
      // status message's commands): that version is the placeholder, and none is written.
      const current = (await ops.validate(bound)).current?.versionId ?? null;
      if (current && current !== compromised) {
        // Made current by hand, or by a run of this step that died half-way: what that promote left (AWSPENDING) is finished.
        await ops.promote(bound, { newVersionId: current, expectedCurrentVersionId: current }, actor);
        replacement = current;
      } else {
        // The placeholder keeps the secret's shape when Rotor can tell it; otherwise it replaces the value whole (it only has to take the compromised one's place).
        const decided = await ops.valuePlacement(bound).catch(() => null);
        const placement: ValuePlacement = decided?.placement ?? { kind: 'whole' };
        const placeholder = await ops.createVersion(bound, actor, { expectedCurrentVersionId: compromised, requestToken, placement });
        await ops.promote(bound, { newVersionId: placeholder.versionId, expectedCurrentVersionId: compromised }, actor);
        replacement = placeholder.versionId;
      }
      change.placeholderVersionId = replacement;
    }
    try {
      const disabled = await ops.disableCompromised(bound, { versionId: compromised, replacementVersionId: replacement }, actor);
      return { result: { versionId: compromised, action: disabled.action, replacementVersionId: replacement }, change };
    } catch (error) {
      // The placeholder is current now: a retry strips the labels, it does not write another one.
      if (!change.placeholderVersionId) throw error;
      throw new PartialStepError(change, error instanceof RotorError ? error : new RotorError('provider', describeError(error), { cause: error }));
    }
  }

  private requireNewVersion(record: RotationRecord): string {
    if (!record.rotation.newVersionId) throw new RotorError('conflict', 'There is no new version yet: do the create step first.');
    return record.rotation.newVersionId;
  }

  /**
   * A version someone wrote to the store by hand: AWS, one labelled AWSPENDING (or, written
   * without stages, already AWSCURRENT); Vault, a current version newer than the one at the start.
   */
  private async detectNewVersion(record: RotationRecord): Promise<{ versionId: string; fingerprint: string; alreadyCurrent: boolean }> {
    const { rotation } = record;
    const description = await this.deps.operations.validate(storeBindingOf(rotation));
    const current = description.current?.versionId ?? null;
    const pending = description.others.find((version) => version.labels.includes('AWSPENDING') && version.versionId !== rotation.previousVersionId);
    let versionId: string | null = null;
    let alreadyCurrent = false;
    if (pending) versionId = pending.versionId;
    else if (current && current !== rotation.previousVersionId) {
      versionId = current;
      alreadyCurrent = true;
    }
    if (!versionId) {
      const write = writeNewVersionCommand({ name: rotation.secretName, provider: rotation.provider, providerRef: rotation.providerRef, type: this.secretOf(record).type });
      throw new RotorError('conflict', `No new version of ${rotation.secretName} in the store yet (current: ${current ?? 'none'}). Write it with \`${write}\`, then press Detect again.`);
    }
    const read = await this.deps.operations.readVersion(storeBindingOf(rotation), versionId);
    return { versionId, fingerprint: read.fingerprint, alreadyCurrent };
  }

  /**
   * Before the store is written, the version the write makes and the new value's fingerprint are
   * kept on the running step: a write whose answer never came back (a crash, a lost response) is
   * then recognised as Rotor's own, adopted on retry and undone on abandon.
   */
  private recordWriteIntent(rotationId: number, step: RotationStep, requestToken: string, intent: WriteIntent): void {
    if (!this.deps.repo.updateStep(rotationId, step.id, ['running'], { result: { ...step.result, requestToken, writeIntent: { ...intent } } })) {
      throw new RotorError('conflict', `“${step.title}” was finished by another run meanwhile, so Rotor wrote nothing; the view shows the result.`);
    }
  }

  /**
   * A Vault write of this rotation that landed but was never recorded: the store's current version
   * is the one the write was to make, holding the value whose fingerprint was kept before the
   * write. Any other current version is someone else's.
   */
  private async ownUnrecordedWrite(record: RotationRecord): Promise<{ versionId: string; fingerprint: string } | null> {
    const intent = writeIntentOf(record.steps.find((step) => step.action === 'create_version'));
    if (!intent || record.rotation.newVersionId) return null;
    return this.deps.operations.currentIs(storeBindingOf(record.rotation), intent);
  }

  private now(): string {
    return iso(this.deps.clock.now());
  }
}

/** The secret as a rotation bound elsewhere (its incident's reference) sees it. */
function boundSecret(secret: Secret, binding: StoreBinding | undefined): Secret {
  return binding ? { ...secret, provider: binding.provider, providerRef: binding.providerRef } : secret;
}

/** A scheduled rotation needs a live secret; an emergency one is what a compromised secret gets. */
function refuseToStart(secret: Secret, kind: RotationKind): void {
  if (secret.lifecycle === 'retired') throw new RotorError('conflict', `${secret.name} is retired, so it is not rotated any more. Set it back to active with \`/secrets edit ${secret.name}\` if it is in use again.`);
  if (secret.lifecycle === 'compromised' && kind === 'scheduled') {
    throw new RotorError('conflict', `${secret.name} is marked compromised: it is replaced by the emergency rotation of its incident (\`/revoke\` in the incident channel), not by a scheduled one.`);
  }
}

/** The write a create step recorded before calling the store, if any. */
function writeIntentOf(step: RotationStep | undefined): WriteIntent | null {
  const intent = step?.result?.writeIntent as Partial<WriteIntent> | undefined;
  return intent && typeof intent.versionId === 'string' && typeof intent.fingerprint === 'string' ? { versionId: intent.versionId, fingerprint: intent.fingerprint } : null;
}
