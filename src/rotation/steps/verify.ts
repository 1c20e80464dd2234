import { storeBindingOf } from '../rotation.js';
import { runAutomatedChecks } from './automated-checks.js';
import { requireNewVersion, type StepExecutor } from './step-executor.js';

/** Reads the current version back: it must be the new one, holding the value whose fingerprint was recorded. */
export const verify: StepExecutor = {
  async run(run, deps) {
    const { actor, record, now } = run;
    const { rotation } = record;
    const { operations } = deps;
    const newVersionId = requireNewVersion(record);
    const current = await operations.verify(
      storeBindingOf(rotation),
      { versionId: newVersionId, fingerprint: rotation.newFingerprint },
      actor,
    );
    const change = { verifiedAt: now, newFingerprint: current.fingerprint };
    // After promotion: the store confirmed the new version, so a failed check keeps that confirmation and blocks completion only.
    const automated = await runAutomatedChecks(run, deps, change);
    return {
      result: {
        versionId: current.versionId,
        fingerprint: current.fingerprint,
        matches: true,
        ...(current.checks ? { checks: current.checks } : {}),
        ...automated,
      },
      change,
    };
  },

  async inspect() {
    return { kind: 'rerun' };
  },
};
