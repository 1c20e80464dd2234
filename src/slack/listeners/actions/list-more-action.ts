import type { BlockButtonAction } from '@slack/bolt';
import { slackActor } from '../../../access/actor.js';
import { refreshUserGroups } from '../../outbound/slack-user-groups.js';
import { ACTION_IDS } from '../../ids.js';
import { dueSoonDays, type SlackDeps } from '../../slack-deps.js';
import { secretListMessage } from '../../views/secret-list-message.js';
import type { ActionRegistry } from '../action-registry.js';
import { decodeListQuery, fetchListPage, type ListPageDeps } from '../commands/secret-list-query.js';

/** "Show more" under a list: posts the next page below the one clicked. */
export function registerListMoreAction(
  actions: ActionRegistry,
  deps: ListPageDeps & Pick<SlackDeps, 'inventoryReader' | 'userGroups' | 'logger'>,
): void {
  actions.on<BlockButtonAction>(ACTION_IDS.listMore, async ({ ack, action, body, client, respond }) => {
    await ack();
    const query = decodeListQuery(action.value ?? '');
    await refreshUserGroups(client, deps, deps.logger);
    // The next page is judged for whoever clicked, not whoever ran the command.
    const page = fetchListPage(deps, query, deps.inventoryReader.listScope(slackActor(body.user.id, body.channel?.id)));
    const message = secretListMessage(page, deps.clock.now(), dueSoonDays(deps));
    await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks });
  });
}
