import { describeEndpoint } from '../../targets/target-description.js';
import { storeBindingOf } from '../rotation.js';
import { passwordFieldOf, requireNewVersion, type StepExecutor } from './step-executor.js';

/**
 * Sets the new version's password where it is used, with the managing credential read from the
 * store at this moment: the inactive alternating PostgreSQL role (or the one role), sent as a
 * SCRAM verifier; or beside the Redis ACL user's passwords. The new version is staged in the
 * store first, so a crash here loses nothing: running it again sets the same value again.
 */
export const setAtTarget: StepExecutor = {
  async run({ record, now }, { targets }) {
    const bound = storeBindingOf(record.rotation);
    const versionId = requireNewVersion(record);
    const target = await targets.requireTarget(bound);
    const login = await targets.withManaging(bound, target, (managing) =>
      targets.withCredential(bound, versionId, target, passwordFieldOf(record), async (credential) => {
        await targets.engine(target).setCredential(target, managing, credential);
        return credential.username;
      }),
    );
    return { result: { versionId, login, target: describeEndpoint(target), setAt: now }, change: {} };
  },

  async inspect() {
    return { kind: 'rerun' };
  },
};
