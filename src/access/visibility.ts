import type { Policy } from '../config/policy.js';
import type { Actor } from './actor.js';
import type { SecretAccessFacts } from './permissions.js';

/**
 * Whether `viewer` may read what the inventory says about `secret` (its status, owner, dates).
 * The one place reads are decided for the surfaces that route through it (the Workflow Builder
 * *Secret status* step): today every member of the workspace may, as with `/secrets show`;
 * issue 24's "who sees what" restricts it here, by the policy, for every such surface at once.
 * A viewer who may not read a secret is told it does not exist, never that it is hidden.
 */
export function mayRead(_policy: Policy, _viewer: Actor | null, _secret: SecretAccessFacts): boolean {
  return true;
}
