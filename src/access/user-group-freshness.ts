import type { DateTime, DurationLike } from 'luxon';
import type { Policy } from '../config/policy.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import { SLACK_USER_GROUP_ID } from '../inventory/secret.js';
import { userGroupsOfRoles } from './role-members.js';
import type { UserGroupRepo } from './user-group-repo.js';

/** How long Slack's answer about user groups is trusted before a read asks again. */
export const USER_GROUP_REFRESH_MINUTES = 15;

/**
 * How long it is trusted before a role decision that grants power (approve, reject, sign off,
 * revoke, rotate, add, edit, hand over) asks again: someone taken out of a group in Slack keeps
 * the role for at most this long. Not every decision asks: usergroups.list is rate limited (Tier
 * 2, about 20 a minute), and the clicks of one approval round would spend that for no newer answer.
 */
export const ROLE_DECISION_REFRESH_SECONDS = 60;

/**
 * Whether a member's read should ask Slack about user groups first: they can matter (the policy
 * restricts reads and an access list or a team names a group, or a role the policy defines names
 * one) and what Slack last said is older than `maxAge` (the read refresh interval unless said).
 * Reads only, so a reply worker's read-only connection can tell.
 */
export function userGroupsStale(
  deps: { policy: Policy; userGroups: Pick<UserGroupRepo, 'fetchedAt'>; inventory: Pick<InventoryRepo, 'accessNamesUserGroups'> },
  now: DateTime,
  maxAge: DurationLike = { minutes: USER_GROUP_REFRESH_MINUTES },
): boolean {
  const { policy, userGroups, inventory } = deps;
  const readsNameGroups =
    policy.visibility === 'restricted' &&
    (Object.values(policy.teams).some((members) => members.some((id) => SLACK_USER_GROUP_ID.test(id))) ||
      inventory.accessNamesUserGroups());
  if (!readsNameGroups && userGroupsOfRoles(policy).length === 0) return false;
  const fetchedAt = userGroups.fetchedAt();
  return !(fetchedAt && Date.parse(fetchedAt) > now.minus(maxAge).toMillis());
}
