import { storeBindingOf } from '../rotation.js';
import { NotYet, type StepExecutor } from './step-executor.js';

/**
 * The store runs the secret's own rotation function: Rotor asks for it once (under the run's
 * request token, so asking again finds the same version) and waits until the new version is current.
 */
export const awaitStoreRotation: StepExecutor = {
  async run({ actor, record, requestToken, now }, { operations }) {
    const { rotation } = record;
    const bound = storeBindingOf(rotation);
    let newVersionId = rotation.newVersionId;
    if (!newVersionId)
      newVersionId = (await operations.createVersion(bound, actor, { expectedCurrentVersionId: rotation.previousVersionId, requestToken }))
        .versionId;
    const description = await operations.validate(bound);
    if (description.current?.versionId !== newVersionId) {
      throw new NotYet(
        { newVersionId },
        { versionId: newVersionId, waiting: 'the rotation function has not made the new version current yet; check again in a minute' },
      );
    }
    const current = await operations.readVersion(bound, newVersionId);
    return {
      result: { versionId: newVersionId, fingerprint: current.fingerprint },
      change: { newVersionId, newFingerprint: current.fingerprint, promotedAt: now },
    };
  },

  async inspect() {
    return {
      kind: 'not_done',
      why: 'Rotor stopped while asking the rotation function:',
      next: { kind: 'action', action: 'run_store_rotation', args: [], lead: '', purpose: '(it finds the version it asked for)' },
    };
  },
};
