import { DateTime } from 'luxon';
import { actorId, SYSTEM_ACTOR } from '../access/actor.js';
import type { GroupMembers } from '../access/role-members.js';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { isoInstant as iso, type Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { FollowUp, FollowUpRequest, FollowUpResult } from '../follow-ups/follow-up.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { Secret } from '../inventory/secret.js';
import { ladderLevels, rungsOf } from '../reminders/escalation-ladder.js';
import { isOpen, type Rotation, type RotationRecord, type RotationStep } from '../rotation/rotation.js';
import { rotationIdOfTopic, rotationTopic } from '../rotation/rotation-follow-ups.js';
import type { RotationRepo } from '../rotation/rotation-repo.js';
import { approvalsComplete, currentStep, isLocked } from '../rotation/rotation-rules.js';
import { PreflightBlockedError, StaleRotationError, type RotationService } from '../rotation/rotation-service.js';
import { leaseEnd } from '../rotation/steps/step-lease.js';
import { AUTOMATIC_FOLLOW_UPS, automaticTopic, type AutomaticNoticeEvent, type AutomaticNoticePayload } from './automatic-follow-ups.js';
import { AUTOMATIC_TAG, isAutomatic, isAutomaticRotation } from './automatic-marking.js';

const ROTOR = actorId(SYSTEM_ACTOR);

/** Steps a drive runs in a row at most before it hands over to a follow-up (a guard, not a limit a rotation reaches). */
const STEPS_PER_DRIVE = 40;

export interface AutomaticRotationDeps {
  rotation: RotationService;
  rotations: Pick<RotationRepo, 'ofSecret'>;
  inventory: Pick<InventoryRepo, 'automaticCandidates' | 'getById' | 'get'>;
  followUps: { schedule(request: FollowUpRequest): unknown };
  audit: AuditLog;
  clock: Clock;
  policy: Policy;
  groups?: GroupMembers | null;
  /** Runs due follow-ups soon: a notice goes out now, a fresh value is tried now, not at the next scheduled sweep. */
  kickFollowUps?: () => void;
}

/** Why a step or a start failed, as the follow-up chain carries it. */
interface Failure {
  step: RotationStep | null;
  error: string;
  failures: number;
}

/**
 * Automatic rotation (issue 21 item 5): a secret the policy (or its `rotor:rotation` tag) marks
 * automatic is rotated by Rotor when it comes due. Rotor opens the rotation itself (reason
 * `scheduled`, or the open rotation need's), the approvers are asked in Slack as for any rotation,
 * and once they approved every executor step runs without a person, then the rotation completes and
 * is announced; at the end of the retention window Rotor removes the previous version (retiring the
 * old credential at its target). Each piece is a durable follow-up, so a restart or a second
 * replica neither loses nor repeats it.
 *
 * Failures are loud and bounded: at the first one the owner and the announcement channel are told
 * with the error and what to do; a failed step is retried after `automatic.retry_minutes`; after
 * `automatic.attempts` failures setting the credential at its target, the rotation is abandoned
 * (its staged value discarded) and a fresh value tried, up to `automatic.values` values; then Rotor
 * stops and escalates to everyone on the secret's escalation path. The secret stays due, so the
 * reminders climb that path as for any overdue secret.
 */
export class AutomaticRotationService {
  constructor(private readonly deps: AutomaticRotationDeps) {}

  /** The job: schedules the start of every automatic secret due (within `automatic.lead_days`) that Rotor has not tried this cycle. */
  scheduleDue(): number {
    const now = this.deps.clock.now();
    let scheduled = 0;
    const { leadDays, types } = this.deps.policy.automatic;
    for (const secret of this.deps.inventory.automaticCandidates(now.plus({ days: leadDays }), types, AUTOMATIC_TAG)) {
      if (!isAutomatic(secret, this.deps.policy)) continue;
      if (this.valuesTried(secret) > 0) continue;
      if (this.deps.followUps.schedule(this.startRequest(secret, 1, 1, iso(now)))) scheduled += 1;
    }
    return scheduled;
  }

  /**
   * Told of every rotation change inside its transaction: Rotor's own rotation is driven once it
   * starts and once its approvals are complete, and its previous version is removed at the end of
   * the retention window once it completes.
   */
  onRotationChange(record: RotationRecord, events: readonly AuditEventInput[]): void {
    if (!isAutomaticRotation(record.rotation)) return;
    const now = iso(this.deps.clock.now());
    for (const event of events) {
      if (event.action === 'rotation.started') this.deps.followUps.schedule(this.driveRequest(record.rotation.id, 'start', now));
      if (event.action === 'rotation.approved' && approvalsComplete(record))
        this.deps.followUps.schedule(this.driveRequest(record.rotation.id, 'approved', now));
      if (event.action === 'rotation.completed' && record.rotation.promotedAt) {
        const dueAt = DateTime.fromISO(record.rotation.promotedAt, { zone: 'utc' }).plus({ hours: this.deps.policy.retentionHours });
        this.deps.followUps.schedule({
          kind: AUTOMATIC_FOLLOW_UPS.remove,
          topic: rotationTopic(record.rotation.id),
          occurrence: 'a1',
          dueAt: iso(dueAt),
          payload: { failures: 0 },
        });
      }
    }
  }

  /** A plan's variant of `plans.automatic` whose turn came: Rotor opens its rotation now, inside the plan's transaction. */
  startNow(secretId: number, occurrence: string): void {
    const secret = this.deps.inventory.getById(secretId);
    if (!secret) return;
    this.deps.followUps.schedule({
      kind: AUTOMATIC_FOLLOW_UPS.start,
      topic: automaticTopic(secret.id),
      occurrence,
      dueAt: iso(this.deps.clock.now()),
      payload: { secretId: secret.id, attempt: 1, plan: true },
    });
    this.deps.kickFollowUps?.();
  }

  /** Opens the rotation of a due secret, or of a plan's automatic variant (the start follow-up). */
  async start(followUp: FollowUp): Promise<FollowUpResult> {
    const secret = this.deps.inventory.getById(Number(followUp.payload.secretId));
    const marked = secret !== null && (followUp.payload.plan === true || isAutomatic(secret, this.deps.policy));
    if (secret?.lifecycle !== 'active' || !marked) return { outcome: { skipped: 'the secret is no longer an active automatic secret' } };
    const value = this.valuesTried(secret) + 1;
    if (value > this.deps.policy.automatic.values) return { outcome: { skipped: 'every value of this cycle was tried' } };
    const attempt = Number(followUp.payload.attempt ?? 1);
    try {
      const opening = await this.deps.rotation.prepare(SYSTEM_ACTOR, secret.name);
      if (opening.kind === 'open') return { outcome: { skipped: `rotation #${opening.record.rotation.id} is already open` } };
      if (opening.preflight.some((check) => check.status === 'blocking')) throw new PreflightBlockedError(secret.name, opening.preflight);
      const byHand = (opening.checklist ?? []).filter((step) => step.action === null);
      if (byHand.length > 0) {
        await this.stop(secret, null, {
          step: null,
          error: `its checklist has steps a person does (${byHand.map((step) => `“${step.title}”`).join(', ')}), so Rotor cannot rotate it alone`,
          failures: 0,
        });
        return { outcome: { stopped: 'steps done by a person' } };
      }
      const record = await this.deps.rotation.start(SYSTEM_ACTOR, secret.name, { ticket: null }, { automatic: true });
      return { outcome: { rotation: record.rotation.id, value } };
    } catch (error) {
      const failure: Failure = { step: null, error: describeError(error), failures: attempt };
      if (attempt < this.deps.policy.automatic.attempts) {
        const retryAt = this.retryAt(attempt);
        this.tellFirstFailure(secret, null, failure, retryAt);
        const retry = this.startRequest(secret, value, attempt + 1, retryAt, followUp.payload.plan === true);
        return { outcome: { failed: failure.error, attempt }, then: [retry] };
      }
      this.tellFirstFailure(secret, null, failure, null);
      await this.stop(secret, null, failure);
      return { outcome: { stopped: failure.error, attempt } };
    }
  }

  /** Runs Rotor's rotation from its current step on (the drive follow-up), until it waits, fails or completes. */
  async drive(followUp: FollowUp): Promise<FollowUpResult> {
    const id = rotationIdOfTopic(followUp.topic);
    if (id === null) throw new Error(`${followUp.kind} follow-up with a topic that names no rotation: ${followUp.topic}`);
    let failedStep = typeof followUp.payload.step === 'string' ? followUp.payload.step : null;
    let failures = Number(followUp.payload.failures ?? 0);
    for (let run = 0; run < STEPS_PER_DRIVE; run += 1) {
      const record = this.deps.rotation.find(id);
      if (!record || !isOpen(record.rotation.state) || !isAutomaticRotation(record.rotation))
        return { outcome: { skipped: 'not an open rotation Rotor holds' } };
      const step = currentStep(record);
      if (!step) return this.complete(record);
      if (isLocked(record, step)) return { outcome: { waiting: 'approvals' } };
      if (step.action === null) {
        await this.stop(this.secretOf(record), record, { step, error: `“${step.title}” is done by a person`, failures: 0 });
        return { outcome: { stopped: step.id } };
      }
      if (step.state === 'running') {
        // Another run holds it (a replica, a person): its lease check settles it; look again after.
        const after = (leaseEnd(step) ?? this.deps.clock.now()).plus({ minutes: 2 });
        return { then: [this.driveRequest(id, `lease:${step.id}:${step.attempts}`, iso(after), { step: failedStep, failures })] };
      }
      let result: { record: RotationRecord; error: Error | null };
      try {
        result = await this.deps.rotation.runStep(SYSTEM_ACTOR, id, step.id, { expectedVersion: record.rotation.version });
      } catch (error) {
        if (error instanceof StaleRotationError) continue;
        result = { record: this.deps.rotation.get(id), error: error instanceof Error ? error : new Error(String(error)) };
      }
      if (result.error) {
        const count = failedStep === step.id ? failures + 1 : 1;
        return this.stepFailed(result.record, step, { step, error: describeError(result.error), failures: count });
      }
      const after = result.record.steps.find((candidate) => candidate.id === step.id);
      if (after && after.state !== 'done' && after.state !== 'skipped') {
        // The store is still working (a rotation function): look again in a minute.
        const at = iso(this.deps.clock.now().plus({ minutes: 1 }));
        return { then: [this.driveRequest(id, `wait:${step.id}:${after.attempts}`, at, { step: failedStep, failures })] };
      }
      failedStep = null;
      failures = 0;
    }
    return { then: [this.driveRequest(id, `more:${followUp.occurrence}`, iso(this.deps.clock.now()))] };
  }

  /** At the end of the retention window: the old credential retired at its target and the previous version removed (the remove follow-up). */
  async remove(followUp: FollowUp): Promise<FollowUpResult> {
    const id = rotationIdOfTopic(followUp.topic);
    const record = id === null ? null : this.deps.rotation.find(id);
    if (record?.rotation.state !== 'completed') return { outcome: { skipped: 'the rotation is not completed' } };
    try {
      await this.deps.rotation.removePrevious(SYSTEM_ACTOR, record.rotation.id);
      return { outcome: { removed: record.rotation.previousVersionId } };
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'conflict') return { outcome: { skipped: describeError(error) } };
      const secret = this.secretOf(record);
      const failure: Failure = { step: null, error: describeError(error), failures: Number(followUp.payload.failures ?? 0) + 1 };
      if (failure.failures < this.deps.policy.automatic.attempts) {
        const retryAt = this.retryAt(failure.failures);
        this.tell(secret, record, 'removal_failed', failure, retryAt, this.ownerAndChannel(secret), `removal:${record.rotation.id}`);
        return {
          outcome: { failed: failure.error },
          then: [
            {
              kind: AUTOMATIC_FOLLOW_UPS.remove,
              topic: followUp.topic,
              occurrence: `a${failure.failures + 1}`,
              dueAt: retryAt,
              payload: { failures: failure.failures },
            },
          ],
        };
      }
      await this.stop(secret, record, failure);
      return { outcome: { stopped: failure.error } };
    }
  }

  private async complete(record: RotationRecord): Promise<FollowUpResult> {
    try {
      this.deps.rotation.complete(SYSTEM_ACTOR, record.rotation.id, record.rotation.version);
      return { outcome: { completed: record.rotation.id } };
    } catch (error) {
      if (error instanceof StaleRotationError)
        return { then: [this.driveRequest(record.rotation.id, `complete:v${record.rotation.version}`, iso(this.deps.clock.now()))] };
      await this.stop(this.secretOf(record), record, { step: null, error: describeError(error), failures: 1 });
      return { outcome: { stopped: describeError(error) } };
    }
  }

  /**
   * A step failed: it is retried after the backoff; past `automatic.attempts`, a credential that
   * could not be set at its target is given up for a fresh value (the rotation abandoned, its
   * staged value discarded, a new one opened), and anything else stops and escalates.
   */
  private async stepFailed(record: RotationRecord, step: RotationStep, failure: Failure): Promise<FollowUpResult> {
    const secret = this.secretOf(record);
    const id = record.rotation.id;
    const { attempts, values } = this.deps.policy.automatic;
    if (failure.failures < attempts) {
      const retryAt = this.retryAt(failure.failures);
      this.tellFirstFailure(secret, record, failure, retryAt);
      return {
        outcome: { failed: failure.error, step: step.id, failures: failure.failures },
        then: [this.driveRequest(id, `retry:${step.id}:${failure.failures}`, retryAt, { step: step.id, failures: failure.failures })],
      };
    }
    this.tellFirstFailure(secret, record, failure, null);
    const value = this.valueOf(record.rotation);
    if (step.action === 'set_at_target' && value < values) {
      const reason = `Rotor could not set the new credential at its target ${failure.failures} times; a fresh value is tried (the error is in the audit log).`;
      try {
        await this.deps.rotation.abandon(SYSTEM_ACTOR, id, { reason, expectedVersion: record.rotation.version });
      } catch (error) {
        await this.stop(secret, this.deps.rotation.get(id), {
          ...failure,
          error: `${failure.error}; abandoning it failed too: ${describeError(error)}`,
        });
        return { outcome: { stopped: failure.error } };
      }
      this.deps.audit.log({
        actor: ROTOR,
        action: 'automatic_rotation.fresh_value',
        secret: secret.name,
        details: { rotation: id, step: step.id, failures: failure.failures, error: failure.error, value: value + 1 },
      });
      this.deps.kickFollowUps?.();
      return {
        outcome: { freshValue: value + 1 },
        // A plan's variant keeps its mark: its environment, not its type, made it automatic.
        then: [this.startRequest(secret, value + 1, 1, iso(this.deps.clock.now()), !isAutomatic(secret, this.deps.policy))],
      };
    }
    await this.stop(secret, this.deps.rotation.get(id), failure);
    return { outcome: { stopped: failure.error, step: step.id } };
  }

  /**
   * Rotor gives up: recorded, and everyone on the escalation path and the announcement channel
   * told. A rotation that changed nothing outside the store yet is abandoned, so the secret is
   * simply overdue again and its reminders climb the path; one whose credential already changed at
   * its target stays open for a person to finish (`/rotate` takes it over).
   */
  private async stop(secret: Secret, record: RotationRecord | null, failure: Failure): Promise<void> {
    const open = record && isOpen(record.rotation.state) ? record : null;
    const changedOutside =
      open !== null && (open.rotation.promotedAt !== null || open.steps.some((s) => s.action === 'set_at_target' && s.state === 'done'));
    this.deps.audit.log({
      actor: ROTOR,
      action: 'automatic_rotation.stopped',
      secret: secret.name,
      details: {
        rotation: record?.rotation.id ?? null,
        step: failure.step?.id ?? null,
        error: failure.error,
        failures: failure.failures,
        leftOpen: changedOutside,
      },
    });
    const people = rungsOf(ladderLevels(secret, this.deps.policy, () => false, new Set(), this.deps.groups ?? null)).map(
      (rung) => rung.user,
    );
    this.tell(
      secret,
      record,
      'stopped',
      failure,
      null,
      { people, channel: this.deps.policy.channels.announce ?? null },
      `stopped:${secret.nextRotation}:${record?.rotation.id ?? 0}`,
    );
    if (open && !changedOutside) {
      const reason = `Rotor stopped after ${failure.failures} failure${failure.failures === 1 ? '' : 's'}${failure.step ? ` of step ${failure.step.id}` : ''}; the error is in the audit log.`;
      try {
        await this.deps.rotation.abandon(SYSTEM_ACTOR, open.rotation.id, { reason, expectedVersion: open.rotation.version });
      } catch (error) {
        // Told already; what the clean-up needs by hand is in the rotation's modal.
        this.deps.audit.log({
          actor: ROTOR,
          action: 'automatic_rotation.abandon_failed',
          secret: secret.name,
          details: { rotation: open.rotation.id, error: describeError(error) },
        });
      }
    }
  }

  /** The first failure of the cycle, told once: to the owner (or the first on the escalation path) and the announcement channel. */
  private tellFirstFailure(secret: Secret, record: RotationRecord | null, failure: Failure, retryAt: string | null): void {
    this.tell(secret, record, 'failed', failure, retryAt, this.ownerAndChannel(secret), `failed:${secret.nextRotation}`);
  }

  private ownerAndChannel(secret: Secret): { people: string[]; channel: string | null } {
    const first = rungsOf(ladderLevels(secret, this.deps.policy, () => false, new Set(), this.deps.groups ?? null))[0]?.user;
    const owner = secret.owner ?? first ?? null;
    return { people: owner ? [owner] : [], channel: this.deps.policy.channels.announce ?? null };
  }

  private tell(
    secret: Secret,
    record: RotationRecord | null,
    event: AutomaticNoticeEvent,
    failure: Failure,
    retryAt: string | null,
    to: { people: readonly string[]; channel: string | null },
    occurrence: string,
  ): void {
    const base: AutomaticNoticePayload = {
      event,
      secret: secret.name,
      rotation: record?.rotation.id ?? null,
      step: failure.step?.title ?? null,
      error: failure.error,
      failures: failure.failures,
      retryAt,
    };
    const now = iso(this.deps.clock.now());
    const topic = automaticTopic(secret.id);
    for (const user of new Set(to.people))
      this.deps.followUps.schedule({
        kind: AUTOMATIC_FOLLOW_UPS.notice,
        topic,
        occurrence: `${occurrence}:${user}`,
        dueAt: now,
        payload: { ...base, user },
      });
    if (to.channel)
      this.deps.followUps.schedule({
        kind: AUTOMATIC_FOLLOW_UPS.notice,
        topic,
        occurrence: `${occurrence}:${to.channel}`,
        dueAt: now,
        payload: { ...base, channel: to.channel },
      });
    this.deps.kickFollowUps?.();
  }

  /** Rotor's rotations of the secret in its current cycle (opened while it was due on its present date): the values tried. */
  private valuesTried(secret: Pick<Secret, 'id' | 'nextRotation'>): number {
    return this.deps.rotations
      .ofSecret(secret.id)
      .filter(
        (rotation) =>
          rotation.kind === 'scheduled' && rotation.startedBy === ROTOR && rotation.previousNextRotation === secret.nextRotation,
      ).length;
  }

  /** Which value of its cycle this rotation tries (1 for the first). */
  private valueOf(rotation: Rotation): number {
    return this.deps.rotations
      .ofSecret(rotation.secretId)
      .filter(
        (other) =>
          other.kind === 'scheduled' &&
          other.startedBy === ROTOR &&
          other.previousNextRotation === rotation.previousNextRotation &&
          other.id <= rotation.id,
      ).length;
  }

  private retryAt(failures: number): string {
    const minutes = this.deps.policy.automatic.retryMinutes;
    return iso(this.deps.clock.now().plus({ minutes: minutes[Math.min(failures, minutes.length) - 1] ?? 1 }));
  }

  private secretOf(record: RotationRecord): Secret {
    const secret = this.deps.inventory.get(record.rotation.secretName);
    if (!secret) throw new Error(`${record.rotation.secretName} is no longer in the inventory`);
    return secret;
  }

  private startRequest(
    secret: Pick<Secret, 'id' | 'nextRotation'>,
    value: number,
    attempt: number,
    dueAt: string,
    plan = false,
  ): FollowUpRequest {
    return {
      kind: AUTOMATIC_FOLLOW_UPS.start,
      topic: automaticTopic(secret.id),
      occurrence: `${secret.nextRotation}:v${value}:a${attempt}`,
      dueAt,
      payload: { secretId: secret.id, attempt, ...(plan ? { plan: true } : {}) },
    };
  }

  private driveRequest(id: number, why: string, dueAt: string, payload: { step?: string | null; failures?: number } = {}): FollowUpRequest {
    return { kind: AUTOMATIC_FOLLOW_UPS.drive, topic: rotationTopic(id), occurrence: why, dueAt, payload };
  }
}
