import { DateTime } from 'luxon';
import { actorId, type Actor } from '../access/actor.js';
import { describeError, ValidationError } from '../core/errors.js';
import { OPEN_STATES, storeBindingOf, type RotationRecord } from './rotation.js';
import { ROTATION_FOLLOW_UPS, rotationTopic } from './rotation-follow-ups.js';
import { cleanNote, completionBlockers, requireNotApprover, requireOpen, stepFor } from './rotation-rules.js';
import type { RotationServiceDeps } from './rotation-deps.js';
import { RotationDecisions } from './rotation-decisions.js';
import { RotationFollowUpPlan } from './rotation-follow-up-plan.js';
import { RotationQueries } from './rotation-queries.js';
import { RotationRollbacks } from './rotation-rollback.js';
import { RotationStarts } from './rotation-start.js';
import { RotationTransitions } from './rotation-transitions.js';
import { StepRunner } from './steps/step-runner.js';
import { StoreCleanup } from './store-cleanup.js';

export type { RotationEvent, RotationServiceDeps } from './rotation-deps.js';
export { CleanupFailedError, PreflightBlockedError, StaleRotationError } from './rotation-errors.js';
export type { EmergencyPlan, RotationOpening } from './rotation-start.js';
export type { RotationView } from './rotation-queries.js';

/**
 * Guided rotation: the persisted state machine behind `/rotate`. Every transition is
 * authorized against the actor, checked by the rules (rotation-rules.ts), conditional on the
 * rotation's version (two people at once: exactly one wins) and written with its audit event in
 * one transaction (rotation-transitions.ts). Provider steps run by their executors outside the
 * transaction (steps/step-runner.ts). This class holds the rotator's transitions and is the one
 * door to the others: reads (rotation-queries.ts), the start (rotation-start.ts), the approvers'
 * decisions (rotation-decisions.ts), rollbacks (rotation-rollback.ts), the clean-up at the store
 * (store-cleanup.ts) and the follow-ups (rotation-follow-up-plan.ts).
 */
export class RotationService {
  private readonly queries: RotationQueries;
  private readonly plan: RotationFollowUpPlan;
  private readonly writer: RotationTransitions;
  private readonly cleanup: StoreCleanup;
  private readonly steps: StepRunner;
  private readonly rollbacks: RotationRollbacks;
  private readonly starts: RotationStarts;
  private readonly decisions: RotationDecisions;

  constructor(private readonly deps: RotationServiceDeps) {
    this.queries = new RotationQueries(deps);
    this.plan = new RotationFollowUpPlan(deps);
    this.writer = new RotationTransitions(deps, this.queries, this.plan);
    this.cleanup = new StoreCleanup(deps, this.queries);
    this.steps = new StepRunner(deps, this.queries, this.writer, this.plan);
    this.rollbacks = new RotationRollbacks(deps, this.queries, this.writer, this.plan);
    this.starts = new RotationStarts(deps, this.queries, this.writer, this.plan);
    this.decisions = new RotationDecisions(deps, this.queries, this.writer, this.cleanup);
  }

  // The reads, the start, the steps and the rollbacks, as their parts define them.
  readonly view: RotationQueries['view'] = (...args) => this.queries.view(...args);
  readonly rotatable: RotationQueries['rotatable'] = (...args) => this.queries.rotatable(...args);
  readonly picked: RotationQueries['picked'] = (...args) => this.queries.picked(...args);
  readonly get: RotationQueries['get'] = (...args) => this.queries.get(...args);
  readonly find: RotationQueries['find'] = (...args) => this.queries.find(...args);
  readonly tookOver: RotationQueries['tookOver'] = (...args) => this.queries.tookOver(...args);
  readonly openFor: RotationQueries['openFor'] = (...args) => this.queries.openFor(...args);
  readonly forPerson: RotationQueries['forPerson'] = (...args) => this.queries.forPerson(...args);
  readonly approvableBy: RotationQueries['approvableBy'] = (...args) => this.queries.approvableBy(...args);
  readonly approversFor: RotationQueries['approversFor'] = (...args) => this.queries.approversFor(...args);
  readonly rollbackUntil: RotationQueries['rollbackUntil'] = (...args) => this.queries.rollbackUntil(...args);
  readonly rollbackOffer: RotationQueries['rollbackOffer'] = (...args) => this.queries.rollbackOffer(...args);
  /** The announcement channel and the consumers' channels of a secret: where its rotation is announced. */
  readonly announcementChannels: RotationFollowUpPlan['announcementChannels'] = (...args) => this.plan.announcementChannels(...args);
  readonly windowOf: RotationQueries['windowOf'] = (...args) => this.queries.windowOf(...args);
  readonly interruptedStep: RotationQueries['interruptedStep'] = (...args) => this.queries.interruptedStep(...args);
  readonly inFlightStep: RotationQueries['inFlightStep'] = (...args) => this.queries.inFlightStep(...args);
  readonly prepare: RotationStarts['prepare'] = (...args) => this.starts.prepare(...args);
  readonly emergencyPlan: RotationStarts['emergencyPlan'] = (...args) => this.starts.emergencyPlan(...args);
  readonly start: RotationStarts['start'] = (...args) => this.starts.start(...args);
  readonly runStep: StepRunner['runStep'] = (...args) => this.steps.runStep(...args);
  readonly checkStep: StepRunner['checkStep'] = (...args) => this.steps.checkStep(...args);
  readonly followUpStep: StepRunner['followUpStep'] = (...args) => this.steps.followUpStep(...args);
  readonly rollbackPlanFor: RotationRollbacks['rollbackPlanFor'] = (...args) => this.rollbacks.rollbackPlanFor(...args);
  readonly checkRollback: RotationRollbacks['checkRollback'] = (...args) => this.rollbacks.checkRollback(...args);
  readonly rollback: RotationRollbacks['rollback'] = (...args) => this.rollbacks.rollback(...args);
  readonly removePrevious: RotationRollbacks['removePrevious'] = (...args) => this.rollbacks.removePrevious(...args);
  readonly checkRollbackStore: RotationRollbacks['checkRollbackStore'] = (...args) => this.rollbacks.checkRollbackStore(...args);
  readonly followUpRollback: RotationRollbacks['followUpRollback'] = (...args) => this.rollbacks.followUpRollback(...args);
  readonly unsettledRollback: RotationQueries['unsettledRollback'] = (...args) => this.queries.unsettledRollback(...args);
  readonly approve: RotationDecisions['approve'] = (...args) => this.decisions.approve(...args);
  readonly reject: RotationDecisions['reject'] = (...args) => this.decisions.reject(...args);

  /** Another person allowed to rotate the secret takes the rotation over. */
  takeOver(actor: Actor, id: number, expectedVersion: number): RotationRecord {
    const record = this.queries.authorized(actor, id, expectedVersion);
    requireOpen(record);
    const by = actorId(actor);
    if (record.rotation.heldBy === by) return record;
    requireNotApprover(record, by);
    return this.writer.transition(record, { heldBy: by }, () => ({
      events: [
        {
          actor: by,
          action: 'rotation.taken_over',
          secret: record.rotation.secretName,
          details: { rotation: id, from: record.rotation.heldBy },
        },
      ],
    }));
  }

  /** A person ticks the current manual step, with an optional note. */
  tickStep(actor: Actor, id: number, stepId: string, input: { note?: string | null; expectedVersion: number }): RotationRecord {
    return this.doneByPerson(actor, id, stepId, 'tick', input.note, input.expectedVersion);
  }

  /**
   * A person does Rotor's current step at the target by hand instead (the target unreachable from
   * Rotor, say): the step is done by them, with the note saying what they did, recorded apart from
   * what Rotor's runs left. The approvals and the window hold as for Rotor's own run.
   */
  doByHand(actor: Actor, id: number, stepId: string, input: { note: string | null; expectedVersion: number }): RotationRecord {
    return this.doneByPerson(actor, id, stepId, 'by_hand', input.note, input.expectedVersion);
  }

  /**
   * The current step done by a person, ticked or Rotor's done by hand: the same checks and one
   * `rotation.step_done` event. By hand, the note is required and the step keeps what Rotor's runs
   * left (its last error, its checks); a tick clears the last error.
   */
  private doneByPerson(
    actor: Actor,
    id: number,
    stepId: string,
    intent: 'tick' | 'by_hand',
    noteText: string | null | undefined,
    expectedVersion: number,
  ): RotationRecord {
    const record = this.queries.authorized(actor, id, expectedVersion);
    const by = actorId(actor);
    requireNotApprover(record, by);
    const step = stepFor(record, stepId, intent);
    this.queries.requireWindowAllows(record, step);
    const byHand = intent === 'by_hand';
    const note = cleanNote(noteText, byHand, 'note');
    return this.writer.transition(record, { heldBy: by }, (now) => {
      this.writer.changeStep(
        record,
        step,
        ['pending'],
        byHand
          ? { state: 'done', doneBy: by, doneAt: now, note, result: { ...(step.result ?? {}), byHand: true } }
          : { state: 'done', doneBy: by, doneAt: now, note, lastError: null },
      );
      const details = { rotation: id, step: step.id, position: step.position, title: step.title, note };
      return {
        events: [
          {
            actor: by,
            action: 'rotation.step_done',
            secret: record.rotation.secretName,
            // No `action` by hand: that names a step Rotor ran (the replay reads it so); `byHand` names the one the person did instead.
            details: byHand ? { ...details, byHand: step.action } : details,
          },
        ],
      };
    });
  }

  /** Skips the current optional step; a reason is required and recorded. */
  skipStep(actor: Actor, id: number, stepId: string, input: { reason: string | null; expectedVersion: number }): RotationRecord {
    const record = this.queries.authorized(actor, id, input.expectedVersion);
    const by = actorId(actor);
    requireNotApprover(record, by);
    const step = stepFor(record, stepId, 'skip');
    this.queries.requireWindowAllows(record, step);
    const reason = cleanNote(input.reason, true, 'reason') as string;
    return this.writer.transition(record, { heldBy: by }, (now) => {
      this.writer.changeStep(record, step, ['pending'], { state: 'skipped', doneBy: by, doneAt: now, skipReason: reason });
      return {
        events: [
          {
            actor: by,
            action: 'rotation.step_skipped',
            secret: record.rotation.secretName,
            details: { rotation: id, step: step.id, position: step.position, title: step.title, reason },
          },
        ],
      };
    });
  }

  /**
   * Stops an open rotation, with a reason. What it left at the provider is cleaned up first
   * (a pending version's label removed; a version it already made current rolled back), so no
   * pending version blocks the next rotation; if the cleanup fails nothing is recorded and the error
   * says how to do it by hand, after which `cleanedByHand` records that.
   */
  async abandon(
    actor: Actor,
    id: number,
    input: { reason: string | null; expectedVersion: number; cleanedByHand?: boolean },
  ): Promise<RotationRecord> {
    const record = this.queries.authorized(actor, id, input.expectedVersion);
    requireOpen(record);
    const reason = cleanNote(input.reason, true, 'reason') as string;
    const by = actorId(actor);
    const cleanup = await this.cleanup.cleanUpProvider(actor, record, input.cleanedByHand ?? false);
    return this.writer.transition(
      this.queries.get(id),
      { state: 'abandoned', endedAt: this.writer.now(), endedBy: by, endReason: reason },
      () => {
        this.cleanup.endRotation(record, actor, cleanup);
        return {
          events: [
            { actor: by, action: 'rotation.abandoned', secret: record.rotation.secretName, details: { rotation: id, reason, cleanup } },
          ],
        };
      },
      { fromStates: OPEN_STATES, event: 'abandoned' },
    );
  }

  /**
   * Ends the scheduled rotation open on a secret that has just been revoked: the emergency
   * rotation replaces it. What it left pending at the provider is discarded when possible (a
   * failure is recorded, not fatal: the emergency writes its own version); a version it already
   * made current stays (it is newer than the compromised one), and the secret stays compromised.
   */
  async supersede(actor: Actor, id: number, incidentId: number): Promise<RotationRecord> {
    const record = this.queries.get(id);
    if (record.rotation.kind !== 'scheduled' || !OPEN_STATES.includes(record.rotation.state)) return record;
    const by = actorId(actor);
    let cleanup: Record<string, unknown> = { action: 'none' };
    const { rotation } = record;
    if (
      !this.queries.storeOf(rotation.provider).capabilities.byHand &&
      rotation.newVersionId &&
      !rotation.promotedAt &&
      rotation.newVersionId !== rotation.previousVersionId
    ) {
      try {
        await this.deps.operations.discard(storeBindingOf(rotation), rotation.newVersionId, actor);
        cleanup = { action: 'discarded_pending', versionId: rotation.newVersionId };
      } catch (error) {
        cleanup = { action: 'failed', versionId: rotation.newVersionId, error: describeError(error) };
      }
    }
    const reason = `Superseded by the emergency revocation of incident #${incidentId}.`;
    return this.writer.transition(
      this.queries.get(id),
      { state: 'abandoned', endedAt: this.writer.now(), endedBy: by, endReason: reason },
      () => {
        this.deps.followUps.cancel(rotationTopic(id));
        return {
          events: [
            {
              actor: by,
              action: 'rotation.abandoned',
              secret: rotation.secretName,
              details: { rotation: id, reason, cleanup, incident: incidentId },
            },
          ],
        };
      },
      { fromStates: OPEN_STATES, event: 'abandoned' },
    );
  }

  /**
   * Completes the rotation once every step is settled and the provider confirmed the new
   * version: last-rotated becomes now and the next date follows from the interval (so the old
   * cycle's reminders stop), and the announcement and the end-of-retention DM are scheduled.
   */
  complete(actor: Actor, id: number, expectedVersion: number): RotationRecord {
    const record = this.queries.authorized(actor, id, expectedVersion);
    requireOpen(record);
    const blockers = completionBlockers(record);
    if (blockers.length > 0)
      throw new ValidationError(`The rotation of ${record.rotation.secretName} cannot complete yet: ${blockers.join('; ')}.`, []);
    const by = actorId(actor);
    requireNotApprover(record, by);
    const { rotation } = record;
    const now = this.writer.now();
    const durationSeconds = Math.round(DateTime.fromISO(now).diff(DateTime.fromISO(rotation.startedAt)).as('seconds'));
    return this.writer.transition(
      record,
      { state: 'completed', completedAt: now, heldBy: by },
      () => {
        this.deps.inventoryService.recordRotation(
          rotation.secretName,
          { rotatedAt: now, versionId: rotation.newVersionId, fingerprint: rotation.newFingerprint },
          actor,
          'secret.rotated',
          { rotation: id, ticket: rotation.ticket },
        );
        this.deps.followUps.cancel(rotationTopic(id), ROTATION_FOLLOW_UPS.staleNudge);
        this.deps.followUps.cancel(rotationTopic(id), ROTATION_FOLLOW_UPS.staleEscalation);
        this.deps.followUps.cancel(rotationTopic(id), ROTATION_FOLLOW_UPS.approvalReminder);
        for (const channel of this.plan.announcementChannels(rotation.secretName)) {
          this.deps.followUps.schedule({
            kind: ROTATION_FOLLOW_UPS.announce,
            topic: rotationTopic(id),
            occurrence: channel,
            dueAt: now,
            payload: { channel },
          });
        }
        // A manual secret has no removal step; its rotator is still told when the overlap may end.
        // An emergency has no overlap: the version before it was disabled as compromised.
        if (rotation.kind === 'scheduled' && !record.steps.some((step) => step.action === 'schedule_removal' && step.state === 'done')) {
          this.deps.followUps.schedule(this.plan.removalFollowUp(record, now));
        }
        const approvals = record.approvals
          .filter((approval) => approval.decision === 'approved')
          .map((approval) => ({ role: approval.role, by: approval.decidedBy, at: approval.decidedAt }));
        return {
          events: [
            {
              actor: by,
              action: 'rotation.completed',
              secret: rotation.secretName,
              details: {
                rotation: id,
                ticket: rotation.ticket,
                approvals,
                versionId: rotation.newVersionId,
                fingerprint: rotation.newFingerprint,
                previousVersionId: rotation.previousVersionId,
                durationSeconds,
              },
            },
          ],
        };
      },
      { kick: true, event: 'completed', durationSeconds },
    );
  }
}
