import { RotorError } from '../../core/errors.js';
import { writeNewVersionCommand } from '../checklists/write-command.js';
import { storeBindingOf } from '../rotation.js';
import type { StepExecutor } from './step-executor.js';

/**
 * A version someone wrote to the store by hand: one the store holds pending (or, written
 * without staging, already current); a current version newer than the one at the start.
 */
export const detectVersion: StepExecutor = {
  async run({ record, now }, deps) {
    const { rotation } = record;
    const bound = storeBindingOf(rotation);
    const description = await deps.operations.validate(bound);
    const current = description.current?.versionId ?? null;
    const pending = description.others.find((version) => deps.store.isPending(version) && version.versionId !== rotation.previousVersionId);
    let versionId: string | null = null;
    let alreadyCurrent = false;
    if (pending) versionId = pending.versionId;
    else if (current && current !== rotation.previousVersionId) {
      versionId = current;
      alreadyCurrent = true;
    }
    if (!versionId) {
      const write = writeNewVersionCommand(
        { name: rotation.secretName, providerRef: rotation.providerRef, type: deps.secretType(record) },
        deps.store,
      );
      throw new RotorError(
        'conflict',
        `No new version of ${rotation.secretName} in the store yet (current: ${current ?? 'none'}). Write it with \`${write}\`.`,
        { next: { kind: 'action', action: 'detect_version', args: [], lead: 'then' } },
      );
    }
    const read = await deps.operations.readVersion(bound, versionId);
    const detected = { versionId, fingerprint: read.fingerprint, alreadyCurrent };
    return {
      result: detected,
      change: { newVersionId: versionId, newFingerprint: read.fingerprint, ...(alreadyCurrent ? { promotedAt: now } : {}) },
    };
  },

  async inspect() {
    return { kind: 'rerun' };
  },
};
