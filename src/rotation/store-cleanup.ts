import type { Actor } from '../access/actor.js';
import { describeError } from '../core/errors.js';
import { storeBindingOf, type RotationRecord } from './rotation.js';
import { rotationTopic } from './rotation-follow-ups.js';
import type { FoundWrite } from '../providers/secret-provider.js';
import { creationStepOf, ownUnrecordedWrite, requestTokenOf, writeIntentOf } from './steps/step-executor.js';
import type { RotationServiceDeps } from './rotation-deps.js';
import { CleanupFailedError } from './rotation-errors.js';
import type { RotationQueries } from './rotation-queries.js';

/** What an unfinished rotation left at the store, undone before it ends (abandoned or rejected). */
export class StoreCleanup {
  constructor(
    private readonly deps: RotationServiceDeps,
    private readonly queries: RotationQueries,
  ) {}

  /**
   * What an unfinished rotation leaves behind, undone at the provider before it ends. What the
   * store shows decides, not only what Rotor recorded: a run that died between the store's change
   * and Rotor's record left a version Rotor never wrote down, found by the request token its step
   * carried before the call (AWS), and a promote cut short left that version current.
   */
  async cleanUpProvider(actor: Actor, record: RotationRecord, cleanedByHand: boolean): Promise<Record<string, unknown>> {
    const { rotation } = record;
    const store = this.queries.storeOf(rotation.provider);
    if (store.capabilities.byHand) return { action: 'none' };
    // A write current at once (Vault) that landed unrecorded is found by its write intent, not by a request token.
    if (!rotation.newVersionId && store.capabilities.promotesOnCreate) return this.undoUnrecordedWrite(actor, record, cleanedByHand);
    const ours =
      rotation.newVersionId ??
      (store.capabilities.stagedVersions ? await this.unrecordedVersion(record, store.label, cleanedByHand) : null);
    if (!ours || ours === rotation.previousVersionId) return { action: 'none' };
    if (cleanedByHand) return { action: 'by_hand', versionId: ours };
    const bound = storeBindingOf(rotation);
    const ops = this.deps.operations;
    let current = rotation.promotedAt !== null;
    try {
      const description = await ops.validate(bound);
      current = description.current?.versionId === ours;
      const held = current ? description.current : description.others.find((version) => version.versionId === ours);
      const outOfService = !held || store.stillServes(held, current) === null;
      if (outOfService)
        return rotation.newVersionId
          ? { action: 'none', versionId: ours, note: 'the store holds nothing of this rotation any more' }
          : { action: 'none' };
      if (!current) {
        await ops.discard(bound, ours, actor);
        return { action: 'discarded_pending', versionId: ours };
      }
      // The version before an emergency rotation is the compromised one: it is never made current again.
      if (rotation.kind === 'emergency')
        return { action: 'none', note: 'the new version stays current; the compromised one is not restored' };
      if (!rotation.previousVersionId) return { action: 'none', note: 'no previous version was known' };
      const restored = await ops.restore(bound, { versionId: rotation.previousVersionId, expectedCurrentVersionId: ours }, actor);
      // A promote cut short left the version it made current still marked pending: that would block the next rotation.
      if (
        store.capabilities.stagedVersions &&
        (await ops.validate(bound)).others.some((version) => version.versionId === ours && store.isPending(version))
      )
        await ops.discard(bound, ours, actor);
      return { action: 'restored_previous', versionId: restored.versionId, fingerprint: restored.fingerprint };
    } catch (error) {
      const removePending = !current && rotation.providerRef ? store.commands.removePending(rotation.providerRef, ours) : null;
      const byHand = removePending ?? `make version ${rotation.previousVersionId ?? '(the previous one)'} current again at the provider`;
      throw new CleanupFailedError(
        { problem: `Could not clean up what this rotation left at the provider (${describeError(error)}).`, retry: 'Try again', byHand },
        error,
      );
    }
  }

  /**
   * The version a staged create that died unrecorded left: the one its request token names (AWS),
   * or, where the store numbers versions itself (Google), the one it added, recognised by its
   * write intent; never a version someone else added. Cleaned up by hand, the store is not asked
   * (it may be out of reach, which is why it was done by hand): the version the write was to make.
   */
  private async unrecordedVersion(record: RotationRecord, label: string, cleanedByHand: boolean): Promise<string | null> {
    const step = creationStepOf(record);
    const token = requestTokenOf(step);
    if (!token) return null;
    const intent = writeIntentOf(step);
    if (cleanedByHand) return intent?.versionId ?? token;
    let found: FoundWrite | null;
    try {
      found = await this.deps.operations.findWrite(storeBindingOf(record.rotation), { requestToken: token, intent });
    } catch (error) {
      throw new CleanupFailedError(
        {
          problem: `Could not check whether Rotor added a new version of ${record.rotation.secretName} to ${label} (${describeError(error)}).`,
          retry: `Try again when ${label} answers`,
          byHand: this.byHandUndoOfWrite(record, intent?.versionId ?? token),
        },
        error,
      );
    }
    if (found === null) return token;
    return found.kind === 'found' ? found.versionId : null;
  }

  /** What a person does at the store to undo a staged write Rotor could not check: the pending mark removed, the version taken out of service. */
  private byHandUndoOfWrite(record: RotationRecord, versionId: string): string {
    const { rotation } = record;
    const store = this.queries.storeOf(rotation.provider);
    const ref = rotation.providerRef ?? '';
    const commands = [
      store.commands.removePending(ref, versionId),
      ...store.commands.disableVersion(rotation.secretName, ref, versionId, { live: true, destroy: false }),
    ].filter((command): command is string => command !== null);
    const steps = commands.map((command) => `\`${command}\``).join(', then ');
    return `if this rotation added version ${versionId}: ${steps || `take version ${versionId} out of service`}`;
  }

  /**
   * A Vault write of this rotation that landed unrecorded (its answer lost, its run killed) is
   * current at once, so stopping the rotation writes the previous version's data back (with
   * check-and-set on Rotor's version), as a rollback does. An emergency keeps it: the version
   * before it is the compromised one. Cleaned up by hand, the store is not asked (it may be out
   * of reach, which is why it was done by hand): the version the write was to make is recorded.
   */
  private async undoUnrecordedWrite(actor: Actor, record: RotationRecord, cleanedByHand: boolean): Promise<Record<string, unknown>> {
    const { rotation } = record;
    const store = this.queries.storeOf(rotation.provider);
    const intent = writeIntentOf(creationStepOf(record));
    if (cleanedByHand) return intent ? { action: 'by_hand', versionId: intent.versionId } : { action: 'none' };
    let own: { versionId: string; fingerprint: string } | null;
    try {
      own = await ownUnrecordedWrite(this.deps.operations, record);
    } catch (error) {
      // An emergency undoes nothing whatever the store answers (the version before it is the
      // compromised one): a store out of reach is noted, and the rotation is abandoned as asked.
      if (rotation.kind === 'emergency')
        return {
          action: 'none',
          note: `${store.label} could not be asked whether Rotor's write landed (${describeError(error)}); if it did, it stays current, as nothing is undone in an emergency`,
        };
      throw new CleanupFailedError(
        {
          problem: `Could not check whether Rotor's write of a new version of ${rotation.secretName} reached ${store.label} (${describeError(error)}).`,
          retry: `Try again when ${store.label} answers`,
          byHand: this.byHandUndoOfCurrentWrite(record, intent?.versionId ?? null),
        },
        error,
      );
    }
    if (!own) return { action: 'none' };
    if (rotation.kind === 'emergency')
      return {
        action: 'none',
        versionId: own.versionId,
        note: 'the version Rotor wrote stays current; the compromised one is not restored',
      };
    if (!rotation.previousVersionId) return { action: 'none', versionId: own.versionId, note: 'no previous version was known' };
    try {
      const restored = await this.deps.operations.restore(
        storeBindingOf(rotation),
        { versionId: rotation.previousVersionId, expectedCurrentVersionId: own.versionId },
        actor,
      );
      return { action: 'restored_previous', versionId: restored.versionId, fingerprint: restored.fingerprint, undid: own.versionId };
    } catch (error) {
      throw new CleanupFailedError(
        {
          problem: `Rotor's own write (version ${own.versionId}) is current in ${store.label}, and writing version ${rotation.previousVersionId}'s data back failed (${describeError(error)}).`,
          retry: 'Try again',
          byHand: this.byHandUndoOfCurrentWrite(record, own.versionId),
        },
        error,
      );
    }
  }

  /** What a person does at the store to undo a write that became current at once (Vault): the previous version's data written back. */
  private byHandUndoOfCurrentWrite(record: RotationRecord, versionId: string | null): string {
    const { rotation } = record;
    const written = versionId ? `version ${versionId}` : 'a new version';
    if (!rotation.previousVersionId) return `if this rotation wrote ${written}, make the previous data current again`;
    const command = this.queries.storeOf(rotation.provider).commands.rollBackTo(rotation.providerRef ?? '', rotation.previousVersionId);
    // A rollback by hand makes a version the inventory does not know (Vault writes a new one): until
    // a sync records it, the next preflight and sync report the secret as changed outside Rotor.
    const restore = command
      ? `\`${command}\`, then \`rotor sync\` so the inventory records the version now current`
      : `make version ${rotation.previousVersionId} current again`;
    return `if this rotation wrote ${written}: ${restore}`;
  }

  /** Puts the secret back as it was (its lifecycle; a restored version) and drops the rotation's pending follow-ups. */
  endRotation(record: RotationRecord, actor: Actor, cleanup: Record<string, unknown>): void {
    const { rotation } = record;
    if (rotation.kind === 'scheduled')
      this.deps.inventoryService.setLifecycle(rotation.secretName, rotation.previousLifecycle, actor, { rotation: rotation.id });
    if (cleanup.action === 'restored_previous' && typeof cleanup.versionId === 'string' && typeof cleanup.fingerprint === 'string') {
      this.deps.inventoryService.recordVersion(
        rotation.secretName,
        { versionId: cleanup.versionId, fingerprint: cleanup.fingerprint },
        actor,
        'secret.version_recorded',
        { rotation: rotation.id },
      );
    }
    this.deps.followUps.cancel(rotationTopic(rotation.id));
  }
}
