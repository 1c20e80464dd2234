import { DateTime } from 'luxon';
import { newRequestToken } from './steps/request-token.js';
import { actorId, type Actor } from '../access/actor.js';
import { isoInstant as iso } from '../core/clock.js';
import { RotorError, ValidationError } from '../core/errors.js';
import type { Secret } from '../inventory/secret.js';
import { rollbackPlan, unconfirmed, type RollbackItem, type RollbackOutcome } from './rollback-plan.js';
import { storeBindingOf, type RotationRecord } from './rotation.js';
import { ROTATION_FOLLOW_UPS, rotationTopic } from './rotation-follow-ups.js';
import { cleanNote } from './rotation-rules.js';
import { retireAtTarget } from './steps/retire-at-target.js';
import { targetAccessOf } from './steps/target-access.js';
import type { RotationServiceDeps } from './rotation-deps.js';
import type { RotationQueries } from './rotation-queries.js';
import type { RotationTransitions } from './rotation-transitions.js';
import type { RotationFollowUpPlan } from './rotation-follow-up-plan.js';
import { ROLLBACK_NOT_DONE, ROLLBACK_STARTED, rollbackLeaseEnd } from './rollback-intent.js';
import { StaleRotationError } from './rotation-errors.js';
import { answerWasLost } from './unknown-outcome.js';

/** Rolling back a completed rotation within its retention window, and removing its previous version after it. */
export class RotationRollbacks {
  constructor(
    private readonly deps: RotationServiceDeps,
    private readonly queries: RotationQueries,
    private readonly writer: RotationTransitions,
    private readonly plan: RotationFollowUpPlan,
  ) {}

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
  checkRollback(
    actor: Actor,
    id: number,
    input: { reason: string | null; confirmed: readonly string[] },
  ): { record: RotationRecord; secret: Secret; reason: string; plan: RollbackItem[] } {
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

  /** The completed rotation, if it may be rolled back now; otherwise why not. */
  private rollbackable(actor: Actor, id: number): { record: RotationRecord; secret: Secret } {
    const record = this.queries.get(id);
    const secret = this.queries.rotatable(actor, record.rotation.secretName);
    const { rotation } = record;
    if (rotation.state !== 'completed')
      throw new RotorError('conflict', `Only a completed rotation can be rolled back; this one is ${rotation.state.replace('_', ' ')}.`);
    if (rotation.kind === 'emergency')
      throw new RotorError(
        'conflict',
        'An emergency rotation is not rolled back: the version before it is the compromised one. Rotate again instead.',
      );
    if (!this.queries.rollbackUntil(record)) {
      throw new RotorError(
        'conflict',
        `The retention window of this rotation ended ${this.deps.policy.retentionHours} h after it went live, so the previous version may be gone`,
        {
          next: {
            kind: 'run_command',
            command: 'rotate',
            args: [rotation.secretName],
            lead: 'start a new rotation with',
            purpose: 'instead',
          },
        },
      );
    }
    const blocker = this.queries.rollbackBlocker(record);
    if (blocker) throw new RotorError('conflict', blocker.brief, { next: blocker.next });
    if (!this.queries.storeOf(rotation.provider).capabilities.byHand && !rotation.previousVersionId) {
      throw new RotorError(
        'conflict',
        `Rotor did not know the previous version of ${rotation.secretName} when this rotation started, so it cannot restore it; do it at the provider by hand.`,
      );
    }
    return { record, secret };
  }

  /**
   * Within the retention window, undoes a completed rotation once the person confirmed the plan:
   * the previous version is current again at the store (moved back, or its data written as a new
   * version where the store restores by rewriting) and is read back, the schedule is restored, and the announcement
   * channels are told exactly what the store holds now and what the person confirmed. A manual
   * secret's rollback is the person's: Rotor records what they confirmed and changes no store.
   */
  async rollback(actor: Actor, id: number, reasonText: string | null, confirmed: readonly string[] = []): Promise<RotationRecord> {
    const { record, secret, reason, plan } = this.checkRollback(actor, id, { reason: reasonText, confirmed });
    const { rotation } = record;
    const by = actorId(actor);
    const outcome: RollbackOutcome = { restored: null, confirmed: plan.map((item) => ({ id: item.id, label: item.label })) };
    if (!this.queries.storeOf(rotation.provider).capabilities.byHand) {
      const requestToken = this.recordIntent(by, record, reason, outcome.confirmed);
      try {
        outcome.restored = await this.restorePrevious(actor, record);
      } catch (error) {
        // A lost answer leaves the intent for the store to settle; a refusal means the store did not move.
        if (!answerWasLost(error)) this.recordNotDone(by, record, requestToken, error instanceof Error ? error.message : String(error));
        throw error;
      }
    }
    return this.recordRolledBack(actor, by, id, secret, reason, outcome);
  }

  /**
   * Durable before the store moves: the rollback's intent in the audit trail, and the follow-up that
   * asks the store once its lease is over should this run die (rollback-intent.ts).
   */
  private recordIntent(by: string, record: RotationRecord, reason: string, confirmed: RollbackOutcome['confirmed']): string {
    const { rotation } = record;
    const requestToken = newRequestToken();
    const now = this.deps.clock.now();
    this.deps.audit.record(() => {
      if (this.queries.unsettledRollback(this.queries.get(rotation.id)))
        throw new RotorError(
          'conflict',
          `Someone started rolling back this rotation of ${rotation.secretName} a moment ago; the view shows it.`,
        );
      const dueAt = iso(rollbackLeaseEnd({ at: iso(now) }).plus({ minutes: 1 }));
      this.deps.followUps.schedule({
        kind: ROTATION_FOLLOW_UPS.rollbackCheck,
        topic: rotationTopic(rotation.id),
        occurrence: requestToken,
        dueAt,
        payload: { requestToken },
      });
      return {
        result: undefined,
        events: [
          {
            actor: by,
            action: ROLLBACK_STARTED,
            secret: rotation.secretName,
            details: {
              rotation: rotation.id,
              requestToken,
              reason,
              confirmed,
              from: rotation.newVersionId,
              to: rotation.previousVersionId,
            },
          },
        ],
      };
    });
    return requestToken;
  }

  /** The rollback's store call did not move the store: the rotation stays completed. */
  private recordNotDone(by: string, record: RotationRecord, requestToken: string, why: string): void {
    const { rotation } = record;
    this.deps.audit.record(() => {
      this.deps.followUps.cancel(rotationTopic(rotation.id), ROTATION_FOLLOW_UPS.rollbackCheck);
      return {
        result: undefined,
        events: [
          { actor: by, action: ROLLBACK_NOT_DONE, secret: rotation.secretName, details: { rotation: rotation.id, requestToken, why } },
        ],
      };
    });
  }

  /** The rotation rolled back: the inventory points at what the store holds again, the schedule is restored, the channels are told. */
  private recordRolledBack(actor: Actor, by: string, id: number, secret: Secret, reason: string, outcome: RollbackOutcome): RotationRecord {
    const { rotation } = this.queries.get(id);
    const restored = outcome.restored;
    return this.writer.transition(
      this.queries.get(id),
      { state: 'rolled_back', endedAt: this.writer.now(), endedBy: by, endReason: reason },
      (now) => {
        this.deps.inventoryService.restoreRotation(
          secret.name,
          {
            lastRotated: rotation.previousLastRotated,
            nextRotation: rotation.previousNextRotation,
            versionId: restored?.versionId ?? rotation.previousVersionId,
            fingerprint: restored?.fingerprint ?? rotation.previousFingerprint,
          },
          actor,
          { rotation: id, reason },
        );
        this.deps.followUps.cancel(rotationTopic(id), ROTATION_FOLLOW_UPS.removalDue);
        this.deps.followUps.cancel(rotationTopic(id), ROTATION_FOLLOW_UPS.rollbackCheck);
        for (const channel of this.plan.announcementChannels(rotation.secretName)) {
          this.deps.followUps.schedule({
            kind: ROTATION_FOLLOW_UPS.rolledBack,
            topic: rotationTopic(id),
            occurrence: channel,
            dueAt: now,
            payload: { channel, rollback: outcome },
          });
        }
        return {
          events: [
            {
              actor: by,
              action: 'rotation.rolled_back',
              secret: rotation.secretName,
              details: {
                rotation: id,
                reason,
                restoredVersionId: restored?.versionId ?? null,
                previousVersionId: rotation.previousVersionId,
                from: rotation.newVersionId,
                restored,
                confirmed: outcome.confirmed,
              },
            },
          ],
        };
      },
      { fromStates: ['completed'], kick: true, event: 'rolled_back' },
    );
  }

  /**
   * "Check the store" on a rollback whose run died (or whose answer was lost), from the modal (a
   * person, once its lease is over) or its follow-up (Rotor): the store moved back (the previous
   * version, or a copy of its data, is current) — the rotation is recorded rolled back as its
   * starter asked; the new version is still current — the rollback is settled as not done, and the
   * rotation stays completed; anything else is someone else's change, said as it is.
   */
  async checkRollbackStore(actor: Actor, id: number): Promise<RotationRecord> {
    const record = this.queries.get(id);
    const { rotation } = record;
    const secret = this.queries.rotatable(actor, rotation.secretName);
    const intent = this.queries.unsettledRollback(record);
    if (!intent)
      throw new RotorError(
        'conflict',
        `No rollback of this rotation of ${rotation.secretName} is waiting to be checked; the view shows where it stands.`,
      );
    if (this.deps.clock.now() < rollbackLeaseEnd(intent)) {
      throw new RotorError(
        'conflict',
        `The rollback of ${rotation.secretName} is being done right now (started at ${intent.at}); if it is still unsettled at ${iso(rollbackLeaseEnd(intent))}, check the store then.`,
      );
    }
    const current = (await this.deps.operations.validate(storeBindingOf(rotation))).current?.versionId ?? null;
    if (current !== null && current === rotation.newVersionId) {
      this.recordNotDone(
        actorId(actor),
        record,
        intent.requestToken,
        `the store still holds version ${current}, the rotation's: it did not move back`,
      );
      return this.queries.get(id);
    }
    const read = current ? await this.deps.operations.readVersion(storeBindingOf(rotation), current) : null;
    const previous = rotation.previousVersionId;
    if (!read || (read.versionId !== previous && read.fingerprint !== rotation.previousFingerprint)) {
      throw new RotorError(
        'conflict',
        `${rotation.secretName}: the store's current version is ${current ?? 'none'}: neither the rotation's ${rotation.newVersionId ?? 'new version'} nor the previous ${previous ?? 'version'}. Someone changed it meanwhile: run \`rotor sync\` and look at the store.`,
      );
    }
    const outcome: RollbackOutcome = {
      restored: { versionId: read.versionId, fingerprint: read.fingerprint, copyOf: read.versionId === previous ? null : previous },
      confirmed: intent.confirmed,
    };
    return this.recordRolledBack(actor, intent.by, id, secret, intent.reason, outcome);
  }

  /** The rollback's follow-up: settles it from the store if it is still the unsettled one. */
  async followUpRollback(id: number, requestToken: string): Promise<void> {
    const record = this.queries.find(id);
    if (!record || this.queries.unsettledRollback(record)?.requestToken !== requestToken) return;
    try {
      await this.checkRollbackStore({ kind: 'system' }, id);
    } catch (error) {
      // Settled by a person (or another replica) meanwhile: theirs is the answer.
      if (error instanceof StaleRotationError) return;
      throw error;
    }
  }

  /** Makes the version before the rotation current again, then reads back what consumers now get. */
  private async restorePrevious(actor: Actor, record: RotationRecord): Promise<NonNullable<RollbackOutcome['restored']>> {
    const { rotation } = record;
    const previous = rotation.previousVersionId as string;
    const made = await this.deps.operations.restore(
      storeBindingOf(rotation),
      { versionId: previous, expectedCurrentVersionId: rotation.newVersionId },
      actor,
    );
    const current = (await this.deps.operations.validate(storeBindingOf(rotation))).current?.versionId ?? null;
    if (current !== made.versionId) {
      throw new RotorError(
        'conflict',
        `${rotation.secretName}: after restoring version ${previous}, the store's current version is ${current ?? 'none'}, not ${made.versionId}; someone changed it meanwhile. Nothing was recorded: look at the store, then roll back again or rotate.`,
      );
    }
    const read = await this.deps.operations.readVersion(storeBindingOf(rotation), current);
    return { versionId: read.versionId, fingerprint: read.fingerprint, copyOf: read.versionId === previous ? null : previous };
  }

  /** At the end of the retention window: takes the previous version out of service at the provider. */
  async removePrevious(actor: Actor, id: number): Promise<RotationRecord> {
    const record = this.queries.get(id);
    this.queries.rotatable(actor, record.rotation.secretName);
    const { rotation } = record;
    if (rotation.state !== 'completed')
      throw new RotorError('conflict', `This rotation was ${rotation.state.replace('_', ' ')}, so its previous version stays as it is.`);
    if (this.queries.storeOf(rotation.provider).capabilities.byHand)
      throw new RotorError('validation', `${rotation.secretName} is rotated by hand: revoke the previous value at its issuer yourself.`);
    if (!rotation.previousVersionId || !rotation.promotedAt)
      throw new RotorError('conflict', 'Rotor does not know which version to remove for this rotation; do it at the provider by hand.');
    this.refuseRemovedTwice(record);
    const allowedFrom = DateTime.fromISO(rotation.promotedAt, { zone: 'utc' }).plus({ hours: this.deps.policy.retentionHours });
    // The old credential at the target is kept as long as the previous version is.
    const retired =
      allowedFrom.isValid && this.deps.clock.now() >= allowedFrom ? await retireAtTarget(record, targetAccessOf(this.deps)) : null;
    const retirement = await this.deps.operations.deprecatePrevious(
      storeBindingOf(rotation),
      { previousVersionId: rotation.previousVersionId, promotedAt: rotation.promotedAt },
      actor,
    );
    // At the version read before the provider call: of two presses at once, one is recorded.
    return this.writer.transition(record, {}, () => {
      this.refuseRemovedTwice(record);
      return {
        events: [
          {
            actor: actorId(actor),
            action: 'rotation.previous_removed',
            secret: rotation.secretName,
            // A store that keeps the removed version recoverable (a KMS key until its deletion date) says until when.
            details: {
              rotation: id,
              versionId: rotation.previousVersionId,
              ...retirement,
              ...(retired ? { retiredAtTarget: retired.summary, retiredAt: this.deps.clock.now().toUTC().toISO() } : {}),
            },
          },
        ],
      };
    });
  }

  /** A second press of Remove previous version (a replay, another device) is told it is done, and records nothing. */
  private refuseRemovedTwice(record: RotationRecord): void {
    const { rotation } = record;
    const removed = this.deps.trail
      .ofRotation(rotation.id, rotation.secretName)
      .find((event) => event.action === 'rotation.previous_removed');
    if (removed)
      throw new RotorError(
        'conflict',
        `The previous version (${rotation.previousVersionId}) of ${rotation.secretName} was already removed by ${removed.actor} at ${removed.at}; nothing more to do.`,
      );
  }
}
