import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { RotorError } from '../../core/errors.js';
import { userGroupsOfRoles } from '../../access/role-members.js';
import { userGroupsStale } from '../../access/user-group-freshness.js';
import type { SlackDeps } from '../slack-deps.js';

export { USER_GROUP_REFRESH_MINUTES } from '../../access/user-group-freshness.js';

/**
 * Before a member's read is judged: when what Slack last said about user groups is stale (see
 * userGroupsStale), asks Slack again (usergroups.list with members) and stores the answer. When
 * Slack cannot answer, the last answer stands (none at first: a group then lets nobody in), and
 * the read goes on; a member is never shown more because Slack was unreachable.
 */
export async function refreshUserGroups(
  client: WebClient,
  services: Pick<SlackDeps, 'policy' | 'userGroups' | 'inventory' | 'clock'>,
  logger: Logger,
): Promise<void> {
  const now = services.clock.now();
  if (!userGroupsStale(services, now)) return;
  try {
    const answer = await client.usergroups.list({ include_users: true });
    const groups = (answer.usergroups ?? []).flatMap((group) => (group.id ? [{ id: group.id, users: group.users ?? [] }] : []));
    services.userGroups.replace(groups, now);
  } catch (error) {
    logger.warn({ err: error }, 'could not read Slack user groups; reads go on with what Slack last said');
  }
}

/**
 * At start-up, when a role the policy defines names user groups: reads them from Slack
 * (usergroups.list with members), caches the answer, and refuses a group Slack does not know,
 * naming the role's key. When Slack cannot answer, start-up goes on (the group is checked by
 * the next read), and the warning says so.
 */
export async function checkRoleGroups(
  client: WebClient,
  services: Pick<SlackDeps, 'policy' | 'userGroups' | 'clock'>,
  logger: Logger,
): Promise<void> {
  const named = userGroupsOfRoles(services.policy);
  if (named.length === 0) return;
  let groups: { id: string; users: string[] }[];
  try {
    const answer = await client.usergroups.list({ include_users: true, include_disabled: false });
    groups = (answer.usergroups ?? []).flatMap((group) => (group.id ? [{ id: group.id, users: group.users ?? [] }] : []));
  } catch (error) {
    logger.warn({ err: error }, 'could not read Slack user groups at start-up; the roles naming them are checked at the next read');
    return;
  }
  services.userGroups.replace(groups, services.clock.now());
  const known = new Set(groups.map((group) => group.id));
  const unknown = named.filter((entry) => !known.has(entry.group));
  if (unknown.length > 0) {
    throw new RotorError(
      'config',
      `The policy names user groups Slack does not know: ${unknown.map((entry) => `${entry.group} in roles.${entry.role}`).join(', ')}. Use the id of an existing user group (S…, from the group's profile in Slack) or list the members.`,
    );
  }
}
