import { storeBindingOf } from '../rotation.js';
import { requireNewVersion, type StepExecutor } from './step-executor.js';

/** Reads the current version back: it must be the new one, holding the value whose fingerprint was recorded. */
export const verify: StepExecutor = {
  async run({ actor, record, now }, { operations }) {
    const { rotation } = record;
    const newVersionId = requireNewVersion(record);
    const current = await operations.verify(
      storeBindingOf(rotation),
      { versionId: newVersionId, fingerprint: rotation.newFingerprint },
      actor,
    );
    return {
      result: {
        versionId: current.versionId,
        fingerprint: current.fingerprint,
        matches: true,
        ...(current.checks ? { checks: current.checks } : {}),
      },
      change: { verifiedAt: now, newFingerprint: current.fingerprint },
    };
  },

  async inspect() {
    return { kind: 'rerun' };
  },
};
