import { RotorError } from '../../core/errors.js';
import { describeEndpoint } from '../../targets/target-description.js';
import { storeBindingOf } from '../rotation.js';
import { passwordFieldOf, requireNewVersion, type StepExecutor } from './step-executor.js';

/**
 * Emergency, once the new credential is set and logs in at the target: the compromised one is
 * locked out there at once, with the managing credential read from the store at this moment.
 * PostgreSQL: the compromised role gets NOLOGIN (alternating roles; a single role's old password
 * was already replaced) and its sessions are ended. Redis: the compromised password, read from the
 * compromised version at this moment, is removed from the ACL user and its connections closed.
 * Running it twice changes nothing more.
 */
export const lockAtTarget: StepExecutor = {
  async run({ record, now }, deps) {
    const { targets } = deps;
    const bound = storeBindingOf(record.rotation);
    const replacement = requireNewVersion(record);
    const compromised = deps.compromisedVersionOf(record) ?? record.rotation.previousVersionId;
    if (!compromised || compromised === replacement)
      throw new RotorError(
        'conflict',
        `Rotor does not know the compromised version of ${record.rotation.secretName}, so it cannot tell which credential to lock out: lock it at the target by hand and take this step over.`,
      );
    const target = await targets.requireTarget(bound);
    const field = passwordFieldOf(record);
    const newLogin = await targets.loginIn(bound, replacement, target, field);
    const report = await targets.withCredential(bound, compromised, target, field, async (old) => {
      if (target.engine === 'postgres' && target.roles.strategy === 'alternating-users' && old.username === newLogin)
        throw new RotorError(
          'conflict',
          `The compromised and the new version both name role ${newLogin}: locking it out would lock out the new credential too. Nothing was changed.`,
        );
      return targets.withManaging(bound, target, (managing) =>
        targets.engine(target).lockOut(target, managing, target.engine === 'redis' ? old : { username: old.username }),
      );
    });
    return {
      result: {
        versionId: compromised,
        replacementVersionId: replacement,
        target: describeEndpoint(target),
        loginRefused: report.loginRefused,
        sessionsEnded: report.sessionsEnded,
        summary: report.summary,
        lockedAt: now,
      },
      change: {},
    };
  },

  async inspect() {
    return { kind: 'rerun' };
  },
};
