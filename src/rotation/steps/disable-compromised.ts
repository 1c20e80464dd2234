import { describeError, RotorError } from '../../core/errors.js';
import type { ValuePlacement } from '../../providers/secret-provider.js';
import { storeBindingOf } from '../rotation.js';
import type { RotationChange } from '../rotation-repo.js';
import { PartialStepError, type StepExecutor } from './step-executor.js';

/**
 * Takes the compromised version out of service. A store that cannot be left without a current
 * version disables it once the replacement is live; to disable at once, a generated placeholder
 * is made current first (and the real replacement follows it). Another store disables it
 * directly (a soft delete, or destroyed when the responder asked). A by-hand secret has a
 * person's step instead.
 */
export const disableCompromised: StepExecutor = {
  async run({ actor, record, requestToken }, deps) {
    const { rotation } = record;
    const name = rotation.secretName;
    const bound = storeBindingOf(rotation);
    const ops = deps.operations;
    const facts = deps.revocationFacts(rotation.id);
    if (!facts)
      throw new RotorError('validation', 'Disabling a compromised version belongs to an emergency revocation', {
        next: { kind: 'run_command', command: 'revoke', args: [], lead: 'run', purpose: 'in the incident channel' },
      });
    let compromised = facts.compromisedVersionId ?? rotation.previousVersionId;
    // The store was unreachable when the incident opened; until a replacement exists, its current version is the compromised one.
    if (!compromised && !rotation.newVersionId && !rotation.placeholderVersionId)
      compromised = (await ops.validate(bound)).current?.versionId ?? null;
    if (!compromised)
      throw new RotorError(
        'conflict',
        `Rotor did not know the compromised version of ${name} when the incident opened; disable it at the provider by hand and tick this step.`,
      );
    if (!deps.store.capabilities.disableNeedsReplacement) {
      const disabled = await ops.disableCompromised(bound, { versionId: compromised, destroy: facts.destroy }, actor);
      return { result: { versionId: compromised, action: disabled.action }, change: {} };
    }
    const live = rotation.promotedAt && rotation.newVersionId ? rotation.newVersionId : null;
    let replacement = live ?? rotation.placeholderVersionId;
    const change: RotationChange = {};
    if (!replacement) {
      if (facts.order !== 'disable_now')
        throw new RotorError(
          'conflict',
          'The replacement is not live yet: promote it first, then disable the compromised version (replace, then disable).',
        );
      // After a failed attempt someone may have made a generated value current by hand (the
      // status message's commands): that version is the placeholder, and none is written.
      const current = (await ops.validate(bound)).current?.versionId ?? null;
      if (current && current !== compromised) {
        // Made current by hand, or by a run of this step that died half-way: what that promote left (a pending mark) is finished.
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
      throw new PartialStepError(
        change,
        error instanceof RotorError ? error : new RotorError('provider', describeError(error), { cause: error }),
      );
    }
  },

  async inspect({ record }, deps) {
    const { rotation } = record;
    const bound = storeBindingOf(rotation);
    const { store } = deps;
    const compromised = deps.compromisedVersionOf(record);
    if (!compromised)
      return {
        kind: 'not_done',
        why: 'Rotor does not know the compromised version; disable it at the provider by hand and tick this step.',
      };
    const still = await deps.operations.stillInService(bound, compromised);
    if (still) return { kind: 'not_done', why: `The store still serves the compromised version ${compromised} (${still}).` };
    const description = await deps.operations.validate(bound);
    const current = description.current?.versionId ?? null;
    // Disabling at once where the store needs a current version made a placeholder current first: that is the version current now.
    const placeholder =
      store.capabilities.disableNeedsReplacement &&
      !rotation.placeholderVersionId &&
      !(rotation.promotedAt && rotation.newVersionId) &&
      current &&
      current !== compromised
        ? current
        : null;
    return {
      kind: 'done',
      result: {
        versionId: compromised,
        action: store.capabilities.disableNeedsReplacement ? 'labels_removed' : 'soft_deleted_or_destroyed',
        replacementVersionId: current,
      },
      change: placeholder ? { placeholderVersionId: placeholder } : {},
    };
  },
};
