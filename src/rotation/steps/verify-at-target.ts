import { describeEndpoint } from '../../targets/target-description.js';
import { storeBindingOf } from '../rotation.js';
import { passwordFieldOf, requireNewVersion, type StepExecutor } from './step-executor.js';

/** Logs in afresh as the target user with the new version's password (never as the managing one) and runs a trivial command. */
export const verifyAtTarget: StepExecutor = {
  async run({ record, now }, { targets }) {
    const bound = storeBindingOf(record.rotation);
    const versionId = requireNewVersion(record);
    const target = await targets.requireTarget(bound);
    const { login, latencyMs } = await targets.withCredential(bound, versionId, target, passwordFieldOf(record), async (credential) => ({
      login: credential.username,
      latencyMs: (await targets.engine(target).verifyLogin(target, credential)).latencyMs,
    }));
    const check = {
      what: target.engine === 'postgres' ? `login as ${login} and SELECT 1` : `AUTH as ${login} and PING`,
      where: describeEndpoint(target),
      outcome: 'passed',
      latencyMs: Math.round(latencyMs),
      at: now,
    };
    return { result: { versionId, login, checks: [check] }, change: {} };
  },

  async inspect() {
    return { kind: 'rerun' };
  },
};
