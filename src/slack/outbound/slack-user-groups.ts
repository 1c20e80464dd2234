import type { WebClient } from '@slack/web-api';
import type { DurationLike } from 'luxon';
import type { Logger } from 'pino';
import { RotorError } from '../../core/errors.js';
import { userGroupsOfRoles } from '../../access/role-members.js';
import { ROLE_DECISION_REFRESH_SECONDS, userGroupsStale } from '../../access/user-group-freshness.js';
import type { SlackDeps } from '../slack-deps.js';

export { USER_GROUP_REFRESH_MINUTES } from '../../access/user-group-freshness.js';

/** What refreshRoleGroups reads and writes. */
export type RoleGroupDeps = Pick<SlackDeps, 'policy' | 'userGroups' | 'inventory' | 'clock' | 'logger'>;

/** How long a role decision waits for Slack's answer: a modal it opens must open within the trigger's 3 seconds. */
const ROLE_DECISION_WAIT_MS = 1_500;

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
  maxAge?: DurationLike,
): Promise<void> {
  const now = services.clock.now();
  if (!userGroupsStale(services, now, maxAge)) return;
  try {
    const answer = await client.usergroups.list({ include_users: true });
    const groups = (answer.usergroups ?? []).flatMap((group) => (group.id ? [{ id: group.id, users: group.users ?? [] }] : []));
    services.userGroups.replace(groups, now);
  } catch (error) {
    logger.warn({ err: error }, 'could not read Slack user groups; Rotor goes on with what Slack last said');
  }
}

/**
 * Before a role decision that grants power (approve, reject, sign off, revoke, rotate, add, edit
 * or hand over), when a role list names user groups: Slack's answer about them, at most
 * ROLE_DECISION_REFRESH_SECONDS old, so someone taken out of the security group in Slack is
 * refused and someone just added to the responders is let in. When Slack fails or takes longer
 * than ROLE_DECISION_WAIT_MS, the decision goes on with the last membership Slack gave (logged);
 * a late answer is still stored.
 */
export async function refreshRoleGroups(client: WebClient, services: RoleGroupDeps): Promise<void> {
  // Only a role list's groups decide a role; those of access lists and teams wait for the next read.
  if (userGroupsOfRoles(services.policy).length === 0) return;
  const { logger } = services;
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ROLE_DECISION_WAIT_MS);
  });
  const refreshed = refreshUserGroups(client, services, logger, { seconds: ROLE_DECISION_REFRESH_SECONDS }).then(
    () => 'read' as const,
    (error: unknown) => {
      logger.warn({ err: error }, 'could not store Slack user groups; the role decision goes on with what Slack last said');
      return 'read' as const;
    },
  );
  try {
    if ((await Promise.race([refreshed, waited])) === 'late')
      logger.warn('Slack took too long to list user groups; the role decision goes on with what Slack last said');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * At start-up, when a role the policy defines names user groups: reads them from Slack
 * (usergroups.list with members), caches the answer, and refuses a group Slack does not know,
 * naming the role's key. When Slack cannot answer, start-up goes on (the group is checked by
 * the next read), and the warning says so. Returns whether the members of every group a role
 * names are known now (none named, or Slack answered).
 */
export async function checkRoleGroups(
  client: WebClient,
  services: Pick<SlackDeps, 'policy' | 'userGroups' | 'clock'>,
  logger: Logger,
): Promise<boolean> {
  const named = userGroupsOfRoles(services.policy);
  if (named.length === 0) return true;
  let groups: { id: string; users: string[] }[];
  try {
    const answer = await client.usergroups.list({ include_users: true, include_disabled: false });
    groups = (answer.usergroups ?? []).flatMap((group) => (group.id ? [{ id: group.id, users: group.users ?? [] }] : []));
  } catch (error) {
    logger.warn({ err: error }, 'could not read Slack user groups at start-up; the roles naming them are checked at the next read');
    return false;
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
  return true;
}
