import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { SlackDeps } from '../slack-deps.js';
import { SLACK_USER_GROUP_ID } from '../../inventory/secret.js';

/** How long Slack's answer about user groups is trusted before a read asks again. */
export const USER_GROUP_REFRESH_MINUTES = 15;

/**
 * Before a member's read is judged: when user groups can matter (the policy restricts reads and
 * an access list or a team names a group) and what Slack last said is older than the refresh
 * interval, asks Slack again (usergroups.list with members) and stores the answer. When Slack
 * cannot answer, the last answer stands (none at first: a group then lets nobody in), and the
 * read goes on; a member is never shown more because Slack was unreachable.
 */
export async function refreshUserGroups(
  client: WebClient,
  services: Pick<SlackDeps, 'policy' | 'userGroups' | 'inventory' | 'clock'>,
  logger: Logger,
): Promise<void> {
  const { policy, userGroups, inventory, clock } = services;
  if (policy.visibility !== 'restricted') return;
  const teamsNameGroups = Object.values(policy.teams).some((members) => members.some((id) => SLACK_USER_GROUP_ID.test(id)));
  if (!teamsNameGroups && !inventory.accessNamesUserGroups()) return;
  const now = clock.now();
  const fetchedAt = userGroups.fetchedAt();
  if (fetchedAt && Date.parse(fetchedAt) > now.minus({ minutes: USER_GROUP_REFRESH_MINUTES }).toMillis()) return;
  try {
    const answer = await client.usergroups.list({ include_users: true });
    const groups = (answer.usergroups ?? []).flatMap((group) => (group.id ? [{ id: group.id, users: group.users ?? [] }] : []));
    userGroups.replace(groups, now);
  } catch (error) {
    logger.warn({ err: error }, 'could not read Slack user groups; reads go on with what Slack last said');
  }
}
