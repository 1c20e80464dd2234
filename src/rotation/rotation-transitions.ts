import type { AuditEventInput } from '../audit/audit-event.js';
import { isoInstant as iso } from '../core/clock.js';
import { RotorError } from '../core/errors.js';
import { OPEN_STATES, type Rotation, type RotationRecord, type RotationStep } from './rotation.js';
import { ROTATION_FOLLOW_UPS, rotationTopic } from './rotation-follow-ups.js';
import type { RotationChange, StepChange } from './rotation-repo.js';
import type { RotationServiceDeps, RotationEvent } from './rotation-deps.js';
import { StaleRotationError } from './rotation-errors.js';
import type { RotationQueries } from './rotation-queries.js';
import type { RotationFollowUpPlan } from './rotation-follow-up-plan.js';

/**
 * One transition: the rotation changes at its current version (else someone else won), the work's
 * own writes and audit events go in the same transaction, and the rotation's subscribers (its
 * incident, workflow steps, plans) are told inside it; then metrics and the follow-up sweep are told.
 */
export class RotationTransitions {
  constructor(
    private readonly deps: RotationServiceDeps,
    private readonly queries: RotationQueries,
    private readonly plan: RotationFollowUpPlan,
  ) {}

  /**
   * One transition: the rotation changes at its current version (else someone else won), the
   * work's own writes and audit events go in the same transaction, and the rotation is touched
   * (its holder nudged a day later, security three days later, unless touched again).
   */
  transition(
    record: RotationRecord,
    change: RotationChange,
    work: (now: string) => { events: AuditEventInput[] },
    options: {
      fromStates?: readonly Rotation['state'][];
      kick?: boolean;
      event?: RotationEvent['kind'];
      durationSeconds?: number;
      decision?: boolean;
    } = {},
  ): RotationRecord {
    const id = record.rotation.id;
    const now = this.now();
    const takesOver = change.heldBy !== undefined && change.heldBy !== record.rotation.heldBy;
    this.deps.audit.record(() => {
      if (!this.deps.repo.update(id, record.rotation.version, now, change, options.fromStates))
        throw new StaleRotationError(this.queries.get(id));
      const { events } = work(now);
      // A decision or a change of state may answer the approval requests sent: they are redrawn
      // (after the work, which may cancel the topic's follow-ups), due a moment before the DMs
      // the change itself sends, so a sweep does it first.
      if (change.state !== undefined || options.decision) {
        const dueAt = iso(this.deps.clock.now().minus({ milliseconds: 1 }));
        this.deps.followUps.schedule({
          kind: ROTATION_FOLLOW_UPS.requestsRedraw,
          topic: rotationTopic(id),
          occurrence: `v${record.rotation.version + 1}`,
          dueAt,
        });
      }
      // Whoever held it is told when someone else takes it over (the button, or working a step).
      if (takesOver) {
        const payload = { user: record.rotation.heldBy, by: change.heldBy };
        this.deps.followUps.schedule({
          kind: ROTATION_FOLLOW_UPS.takenOver,
          topic: rotationTopic(id),
          occurrence: `v${record.rotation.version + 1}`,
          dueAt: now,
          payload,
        });
      }
      this.touch(id, record.rotation.version + 1, change.heldBy ?? record.rotation.heldBy, change.state ?? record.rotation.state);
      const changed = this.queries.get(id);
      this.deps.subscribers.changed(changed, events);
      return { result: undefined, events };
    });
    if (options.kick || takesOver || change.state !== undefined || options.decision) this.deps.kickFollowUps?.();
    const updated = this.queries.get(id);
    if (options.event)
      this.deps.onEvent?.({
        kind: options.event,
        rotation: updated.rotation,
        ...(options.durationSeconds !== undefined ? { durationSeconds: options.durationSeconds } : {}),
      });
    return updated;
  }

  /** Records a provider step's end on the rotation as it is now (others may have acted during the call). */
  finishStep(
    id: number,
    step: RotationStep,
    work: (now: string) => { stepChange: StepChange; change?: RotationChange; events: AuditEventInput[] },
  ): RotationRecord {
    const now = this.now();
    this.deps.audit.record(() => {
      const fresh = this.queries.get(id);
      const { stepChange, change, events } = work(now);
      if (!this.deps.repo.updateStep(id, step.id, ['running'], stepChange)) {
        throw new RotorError('conflict', `“${step.title}” was finished by another run meanwhile; the view shows the result.`);
      }
      this.deps.repo.update(id, fresh.rotation.version, now, change ?? {});
      this.touch(id, fresh.rotation.version + 1, fresh.rotation.heldBy, fresh.rotation.state);
      const changed = this.queries.get(id);
      this.deps.subscribers.changed(changed, events);
      return { result: undefined, events };
    });
    return this.queries.get(id);
  }

  changeStep(record: RotationRecord, step: RotationStep, fromStates: readonly RotationStep['state'][], change: StepChange): void {
    if (!this.deps.repo.updateStep(record.rotation.id, step.id, fromStates, change)) {
      throw new StaleRotationError(this.queries.get(record.rotation.id));
    }
  }

  /** After any change: the stale nudges restart from now (the holder after a day, security after three). */
  private touch(id: number, version: number, heldBy: string, state: Rotation['state']): void {
    const topic = rotationTopic(id);
    this.deps.followUps.cancel(topic, ROTATION_FOLLOW_UPS.staleNudge);
    this.deps.followUps.cancel(topic, ROTATION_FOLLOW_UPS.staleEscalation);
    if (OPEN_STATES.includes(state)) this.plan.scheduleNudges(id, version, heldBy);
  }

  now(): string {
    return iso(this.deps.clock.now());
  }
}
