import type { Policy } from '../config/policy.js';
import type { SecretType } from '../inventory/secret.js';
import type { TargetDescription } from '../targets/target-description.js';
import type { PreflightCheck } from './rotation.js';

/**
 * Single-user PostgreSQL rotation refuses the old password the moment the new one is set, so
 * clients still holding it fail until they read the new one: the policy says for which secret
 * types that blip is acceptable (`targets.single_user.types`). Elsewhere the target must name two
 * alternating roles; the finding says how, before anything changes.
 */
export function singleUserCheck(
  target: TargetDescription,
  secret: { name: string; type: SecretType },
  policy: Policy,
): PreflightCheck | null {
  if (target.engine !== 'postgres' || target.roles.strategy !== 'single-user') return null;
  if (policy.targets.singleUserTypes.includes(secret.type)) return null;
  const allowed = policy.targets.singleUserTypes;
  return {
    check: 'target_strategy',
    status: 'blocking',
    message:
      `The policy allows single-user PostgreSQL rotation only for ${allowed.length > 0 ? allowed.join(', ') : 'no'} secrets (targets.single_user.types), not ${secret.type}, and this target names one role, ${target.roles.role}. ` +
      `Fix: name two alternating roles in the target (\`roles\`: /secrets edit ${secret.name}), or ask an admin to add ${secret.type} to targets.single_user.types.`,
  };
}
