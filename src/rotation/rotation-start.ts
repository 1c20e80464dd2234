import { actorId, type Actor } from '../access/actor.js';
import type { AuditEventInput } from '../audit/audit-event.js';
import { describeError, NotFoundError, RotorError, UniqueConflictError } from '../core/errors.js';
import type { Secret } from '../inventory/secret.js';
import type { StoreKind } from '../providers/store-kind.js';
import { describeBinding, sameBinding, type StoreBinding } from '../providers/store-binding.js';
import { parseChangeTicket } from './change-ticket.js';
import type { ChecklistSnapshot } from './checklists/checklist-step.js';
import type { RevocationOrder } from './checklists/emergency-template.js';
import { checklistSourceOf, resolveChecklist } from './checklists/resolve-checklist.js';
import type { ApproverRole, PreflightCheck, RotationKind, RotationReason, RotationRecord } from './rotation.js';
import { daysUntil } from '../inventory/schedule.js';
import { earliestNeed } from '../rotation-needs/rotation-need.js';
import { targetAccessOf } from './steps/target-access.js';
import type { TargetDescription } from '../targets/target-description.js';
import { hasBlocking, runPreflight, type PreflightResult } from './rotation-preflight.js';
import { requiredApprovalsFor } from './rotation-rules.js';
import type { RotationServiceDeps } from './rotation-deps.js';
import { PreflightBlockedError } from './rotation-errors.js';
import type { RotationQueries } from './rotation-queries.js';
import type { RotationTransitions } from './rotation-transitions.js';
import type { RotationFollowUpPlan } from './rotation-follow-up-plan.js';
import { rollbackLeaseEnd, type RollbackInDoubt } from './rollback-intent.js';
import { isoInstant as iso } from '../core/clock.js';

/** What an emergency rotation would do: its checklist by order of disabling, and where the secret stands. */
export interface EmergencyPlan {
  /** The secret's store kind: what it can do decides what each order of disabling means. */
  store: StoreKind;
  checklists: Record<RevocationOrder, ChecklistSnapshot>;
  /** The version the store says is current (the one that will be disabled), or the inventory's when the store cannot say. */
  currentVersionId: string | null;
  /** Why the store could not be asked, if it could not. */
  storeProblem: string | null;
  /** A rotation open on the secret, which the emergency one supersedes. */
  open: RotationRecord | null;
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
      /** The last rotation, when a rollback of it started and is not settled: whether the store moved back is unknown (rollback-intent.ts). */
      rollbackInDoubt: RollbackInDoubt | null;
    };

/** Opening a rotation: what `/rotate` shows before it starts, what an emergency would do, and the start itself. */
export class RotationStarts {
  constructor(
    private readonly deps: RotationServiceDeps,
    private readonly queries: RotationQueries,
    private readonly writer: RotationTransitions,
    private readonly plan: RotationFollowUpPlan,
  ) {}

  /** The checked secret's row as it is now; deleted meanwhile, it is not found (no names suggested: the caller's were, before). */
  private reread(checked: Secret): Secret {
    const now = this.deps.inventory.get(checked.name);
    if (!now) throw new NotFoundError(`No secret named \`${checked.name}\`.`, []);
    return now;
  }

  /** A variant of a plan waits for the one before it to be verified (src/rotation-plans). */
  private refuseOutOfTurn(secret: Secret): void {
    const gate = this.deps.subscribers.startGate(secret);
    if (gate) throw new RotorError('conflict', gate.brief, { next: gate.next });
  }

  /**
   * What `/rotate <name>` shows: the open rotation (anyone allowed to rotate may continue it), or
   * the checklist, approvals and preflight findings of a new one. `checked`: the caller's own
   * `rotatable(actor, name)` passed before its modal opened (`/rotate` answers a mistyped name in
   * the channel), so the name's suggestions are not worked out again; but the secret may have
   * been retired, or the person's access removed, during the round trip to views.open, so its row
   * is read again by name and judged as it is now, on the rotation open now.
   */
  async prepare(actor: Actor, name: string, checked?: Secret): Promise<RotationOpening> {
    const secret = checked ? this.reread(checked) : this.queries.rotatable(actor, name);
    const open = this.deps.repo.openFor(secret.id);
    if (checked) this.queries.authorize(actor, secret, open?.rotation.kind ?? 'scheduled');
    if (open) return { kind: 'open', secret, record: open };
    refuseToStart(secret, 'scheduled');
    this.refuseOutOfTurn(secret);
    const requiredApprovals = requiredApprovalsFor(this.deps.policy, secret, 'scheduled');
    const preflight = await this.preflight(secret, actorId(actor), requiredApprovals);
    let checklist: ChecklistSnapshot | null = null;
    try {
      checklist = this.checklistFor(secret, preflight, 'scheduled');
    } catch (error) {
      preflight.checks.push({ check: 'checklist', status: 'blocking', message: describeError(error) });
    }
    const latest = this.deps.repo.latestFor(secret.id);
    const recent = latest && this.queries.rollbackOffer(latest) ? latest : null;
    const rejected = latest?.rotation.state === 'rejected' ? latest : null;
    const unsettled = latest ? this.queries.unsettledRollback(latest) : null;
    const rollbackInDoubt =
      latest && unsettled
        ? {
            record: latest,
            by: unsettled.by,
            at: unsettled.at,
            checkableAt: iso(rollbackLeaseEnd(unsettled)),
            checkable: this.deps.clock.now() >= rollbackLeaseEnd(unsettled),
          }
        : null;
    return { kind: 'start', secret, checklist, requiredApprovals, preflight: preflight.checks, recent, rejected, rollbackInDoubt };
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
    let target: TargetDescription | null = null;
    const store = this.queries.storeOf(secret.provider);
    if (!store.capabilities.byHand) {
      try {
        const description = await this.deps.operations.validate(secret);
        rotationConfigured = description.rotationConfigured;
        currentVersionId = description.current?.versionId ?? currentVersionId;
      } catch (error) {
        storeProblem = describeError(error);
      }
      // Where the credential is set: the emergency then sets the new one there and locks the compromised one out.
      // A target that cannot be read is the start's preflight finding; the plan shows the store's steps.
      target = await targetAccessOf(this.deps)
        .targetOf(secret)
        .catch(() => null);
    }
    const checklist = (revocationOrder: RevocationOrder) =>
      resolveChecklist({
        secret,
        store,
        provider: { rotationConfigured, target },
        policy: this.deps.policy,
        emergency: true,
        revocationOrder,
      });
    return {
      store,
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
    options: {
      kind?: RotationKind;
      breakGlassReason?: string;
      incidentId?: number;
      revocationOrder?: RevocationOrder;
      binding?: StoreBinding;
      /** Rotor opens it by itself (src/automatic-rotation): no person gives a ticket. */
      automatic?: boolean;
    } = {},
  ): Promise<RotationRecord> {
    const kind = options.kind ?? 'scheduled';
    const ticket = (kind === 'emergency' || options.automatic === true) && !input.ticket ? null : parseChangeTicket(input.ticket);
    // An incident's emergency rotation works on the store secret the incident is bound to.
    const secret = boundSecret(this.deps.inventoryService.require(name), options.binding);
    this.queries.authorize(actor, secret, kind);
    const open = this.deps.repo.openFor(secret.id);
    if (open)
      throw new RotorError(
        'conflict',
        `${secret.name} is already being rotated by ${open.rotation.heldBy} (since ${open.rotation.startedAt})`,
        { next: { kind: 'run_command', command: 'rotate', args: [secret.name], lead: 'run', purpose: 'to continue that rotation' } },
      );
    refuseToStart(secret, kind);
    if (kind === 'scheduled') this.refuseOutOfTurn(secret);
    const by = actorId(actor);
    const requiredApprovals = requiredApprovalsFor(this.deps.policy, secret, kind);
    const preflight = await this.preflight(secret, by, requiredApprovals);
    // An emergency goes ahead whatever the preflight found (a provider step may then fail and be
    // retried, or done by hand); its findings are recorded with it.
    if (kind === 'scheduled' && hasBlocking(preflight.checks)) throw new PreflightBlockedError(secret.name, preflight.checks);
    const checklist = this.checklistFor(secret, preflight, kind, options.revocationOrder);
    const now = this.writer.now();
    const reason = this.reasonFor(secret, kind);
    let id: number;
    try {
      id = this.deps.audit.record(() => {
        this.refuseMovedReference(secret, options.binding);
        const rotationId = this.deps.repo.insert(
          {
            secretId: secret.id,
            secretName: secret.name,
            kind,
            reason,
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
        for (const request of this.plan.approvalRequests(rotationId, by, requiredApprovals)) this.deps.followUps.schedule(request);
        this.plan.scheduleNudges(rotationId, 1, by);
        const events: AuditEventInput[] = [
          {
            actor: by,
            action: 'rotation.started',
            secret: secret.name,
            details: {
              rotation: rotationId,
              kind,
              reason,
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
        const started = this.queries.get(rotationId);
        this.deps.subscribers.changed(started, events);
        return { result: rotationId, events };
      });
    } catch (error) {
      // Two people pressed Start at once: the unique index lets one rotation in.
      if (error instanceof UniqueConflictError) {
        const winner = this.deps.repo.openFor(secret.id);
        throw new RotorError('conflict', `${secret.name} was started a moment ago by ${winner?.rotation.heldBy ?? 'someone else'}`, {
          cause: error,
          next: { kind: 'run_command', command: 'rotate', args: [secret.name], lead: 'run', purpose: 'to continue that rotation' },
        });
      }
      throw error;
    }
    this.deps.kickFollowUps?.();
    const record = this.queries.get(id);
    this.deps.onEvent?.({ kind: 'started', rotation: record.rotation });
    return record;
  }

  /**
   * Why a rotation is done: an emergency is a compromise; otherwise the earliest open rotation
   * need's reason; otherwise `scheduled` when the secret is due or inside its first warning,
   * and `manual` when nothing asked for it yet.
   */
  private reasonFor(secret: Secret, kind: RotationKind): RotationReason {
    if (kind === 'emergency') return 'compromise';
    const need = earliestNeed(this.deps.needs?.openFor([secret.id]).get(secret.id) ?? []);
    if (need) return need.reason;
    const warning = Math.max(0, ...this.deps.policy.reminders.offsetsDays);
    return daysUntil(secret.nextRotation, this.deps.clock.now()) <= warning ? 'scheduled' : 'manual';
  }

  /**
   * The reference a scheduled rotation captures is the one its preflight checked: an edit that
   * moved it while the preflight ran starts nothing. (An emergency keeps its incident's binding.)
   */
  private refuseMovedReference(checked: Secret, binding: StoreBinding | undefined): void {
    if (binding) return;
    const now = this.deps.inventoryService.require(checked.name);
    if (!sameBinding(now, checked)) {
      throw new RotorError(
        'conflict',
        `Where ${checked.name} is stored changed while the rotation was starting (now ${describeBinding(now)}, checked ${describeBinding(checked)}); nothing was started.`,
        { next: { kind: 'run_command', command: 'rotate', args: [checked.name], lead: 'run', purpose: 'again' } },
      );
    }
  }

  /** The preflight's checks, and one of Rotor's own: no rotation starts while a rollback of the last one is unsettled (the store may have moved back). */
  private async preflight(secret: Secret, actor: string, requiredApprovals: readonly ApproverRole[]): Promise<PreflightResult> {
    const result = await runPreflight(
      {
        registry: this.deps.registry,
        people: this.deps.people,
        policy: this.deps.policy,
        groups: this.deps.groups,
        targets: targetAccessOf(this.deps),
      },
      { secret, actor, requiredApprovals },
    );
    const latest = this.deps.repo.latestFor(secret.id);
    const unsettled = latest ? this.queries.unsettledRollback(latest) : null;
    if (unsettled) {
      result.checks.push({
        check: 'rollback',
        status: 'blocking',
        message: `A rollback of the last rotation, started by ${unsettled.by} at ${unsettled.at}, is not settled: whether the store moved back is unknown.`,
        next: { kind: 'action', action: 'check_store', args: [], lead: '', purpose: 'first' },
      });
    }
    return result;
  }

  private checklistFor(
    secret: Secret,
    preflight: PreflightResult,
    kind: RotationKind,
    revocationOrder?: RevocationOrder,
  ): ChecklistSnapshot {
    return resolveChecklist({
      secret,
      store: this.queries.storeOf(secret.provider),
      provider: {
        rotationConfigured: preflight.description?.rotationConfigured ?? false,
        valueField: preflight.valueField,
        target: preflight.target,
      },
      policy: this.deps.policy,
      emergency: kind === 'emergency',
      ...(revocationOrder ? { revocationOrder } : {}),
    });
  }
}

/** The secret as a rotation bound elsewhere (its incident's reference) sees it. */
function boundSecret(secret: Secret, binding: StoreBinding | undefined): Secret {
  return binding ? { ...secret, provider: binding.provider, providerRef: binding.providerRef } : secret;
}

/** A scheduled rotation needs a live secret; an emergency one is what a compromised secret gets. */
function refuseToStart(secret: Secret, kind: RotationKind): void {
  if (secret.lifecycle === 'retired')
    throw new RotorError('conflict', `${secret.name} is retired, so it is not rotated any more.`, {
      next: {
        kind: 'run_command',
        command: 'secrets edit',
        args: [secret.name],
        lead: 'set it back to active with',
        purpose: 'if it is in use again',
      },
    });
  if (secret.lifecycle === 'compromised' && kind === 'scheduled') {
    throw new RotorError(
      'conflict',
      `${secret.name} is marked compromised: it is replaced by the emergency rotation of its incident, not by a scheduled one.`,
      { next: { kind: 'run_command', command: 'revoke', args: [], lead: 'run', purpose: 'in the incident channel' } },
    );
  }
}
