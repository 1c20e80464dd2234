import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Services } from '../../services.js';
import { userGroupsStale } from '../../access/user-group-freshness.js';

export { USER_GROUP_REFRESH_MINUTES } from '../../access/user-group-freshness.js';

/**
 * Before a member's read is judged: when what Slack last said about user groups is stale (see
 * userGroupsStale), asks Slack again (usergroups.list with members) and stores the answer. When
 * Slack cannot answer, the last answer stands (none at first: a group then lets nobody in), and
 * the read goes on; a member is never shown more because Slack was unreachable.
 */
export async function refreshUserGroups(client: WebClient, services: Services, logger: Logger): Promise<void> {
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
