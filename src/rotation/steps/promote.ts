import { storeBindingOf } from '../rotation.js';
import { requireNewVersion, type StepExecutor } from './step-executor.js';

/** Makes the new version current, refused when the version current is not the one expected (someone rotated meanwhile). */
export const promote: StepExecutor = {
  async run({ actor, record, now }, { operations }) {
    const { rotation } = record;
    const newVersionId = requireNewVersion(record);
    await operations.promote(
      storeBindingOf(rotation),
      {
        newVersionId,
        expectedCurrentVersionId: rotation.promotedAt ? newVersionId : (rotation.placeholderVersionId ?? rotation.previousVersionId),
      },
      actor,
    );
    return {
      result: { versionId: newVersionId, previousVersionId: rotation.previousVersionId },
      change: { promotedAt: rotation.promotedAt ?? now },
    };
  },

  async inspect({ record, now }, { operations }) {
    const { rotation } = record;
    const newVersionId = rotation.newVersionId;
    if (!newVersionId) return { kind: 'not_done', why: 'There is no new version to promote yet.' };
    const description = await operations.validate(storeBindingOf(rotation));
    const current = description.current?.versionId ?? null;
    if (current === newVersionId)
      return {
        kind: 'done',
        result: { versionId: newVersionId, previousVersionId: rotation.previousVersionId },
        change: { promotedAt: rotation.promotedAt ?? now },
        finish: 'promote',
      };
    const expected = rotation.placeholderVersionId ?? rotation.previousVersionId;
    if (current === expected)
      return {
        kind: 'not_done',
        why: `Rotor stopped before the store made version ${newVersionId} current (${current ?? 'none'} still is):`,
        next: { kind: 'action', action: 'promote', args: [], lead: '' },
      };
    return {
      kind: 'ask',
      why: `The store's current version is ${current ?? 'none'}: neither the new version ${newVersionId} nor ${expected ?? 'the one at the start'}. Someone changed it meanwhile: run \`rotor sync\` and look.`,
      next: {
        kind: 'action',
        action: 'abandon',
        args: [],
        lead: 'then',
        or: { kind: 'action', action: 'promote', args: [], lead: '', purpose: `only if ${newVersionId} must be current` },
      },
    };
  },
};
