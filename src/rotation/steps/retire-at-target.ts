import { storeBindingOf, type RotationRecord } from '../rotation.js';
import { passwordFieldOf } from './step-executor.js';
import type { TargetAccess } from './target-access.js';

/** What retiring did at the target, for the audit event and the messages. */
export interface Retirement {
  login: string | null;
  summary: string;
}

/**
 * At the end of the retention window, before the previous version leaves the store: the old
 * credential is taken out of service where the rotation set the new one. Alternating PostgreSQL
 * roles: the previous role gets NOLOGIN. Redis: the previous password, read from the store's
 * previous version at this moment, is removed from the ACL user. A single PostgreSQL role has
 * nothing left to retire. Running it twice changes nothing more. Null: the rotation set nothing
 * at a target.
 */
export async function retireAtTarget(record: RotationRecord, targets: TargetAccess): Promise<Retirement | null> {
  const { rotation } = record;
  if (!record.steps.some((step) => step.action === 'set_at_target' && step.state === 'done')) return null;
  if (!rotation.previousVersionId || !rotation.newVersionId) return null;
  const bound = storeBindingOf(rotation);
  const target = await targets.requireTarget(bound);
  const field = passwordFieldOf(record);
  if (target.engine === 'postgres' && target.roles.strategy === 'single-user')
    return { login: null, summary: `role ${target.roles.role} kept its one login; its old password was replaced at the rotation` };
  const previous = rotation.previousVersionId;
  const current = rotation.newVersionId;
  return targets.withCredential(bound, previous, target, field, async (old) => {
    const newLogin = await targets.loginIn(bound, current, target, field);
    if (target.engine === 'postgres' && old.username === newLogin)
      return { login: null, summary: `role ${newLogin} is the active one; nothing to retire` };
    await targets.withManaging(bound, target, (managing) =>
      targets.engine(target).retire(target, managing, target.engine === 'redis' ? old : { username: old.username }),
    );
    return {
      login: old.username,
      summary:
        target.engine === 'redis' ? `the old password of ACL user ${old.username} was removed` : `role ${old.username} was given NOLOGIN`,
    };
  });
}
