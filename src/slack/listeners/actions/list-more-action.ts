import type { BlockButtonAction } from '@slack/bolt';
import { slackActor } from '../../../access/actor.js';
import { refreshUserGroups } from '../../outbound/slack-user-groups.js';
import { readReply, readSourceOf } from '../../replies/read-replies.js';
import { ACTION_IDS } from '../../ids.js';
import { dueSoonDays, type SlackDeps } from '../../slack-deps.js';
import type { ActionRegistry } from '../action-registry.js';
import { decodeListQuery } from '../commands/secret-list-query.js';

/** "Show more" under a list: posts the next page below the one clicked. */
export function registerListMoreAction(
  actions: ActionRegistry,
  deps: Pick<SlackDeps, 'inventory' | 'rotationNeeds' | 'inventoryReader' | 'userGroups' | 'clock' | 'policy' | 'logger'>,
): void {
  actions.on<BlockButtonAction>(ACTION_IDS.listMore, async ({ ack, action, body, client, respond }) => {
    await ack();
    const value = action.value ?? '';
    // An outdated button is refused before Slack is asked about user groups.
    decodeListQuery(value);
    await refreshUserGroups(client, deps, deps.logger);
    const viewer = slackActor(body.user.id, body.channel?.id);
    const message = readReply(readSourceOf(deps), viewer, { kind: 'more', value }, deps.clock.now(), dueSoonDays(deps));
    await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks });
  });
}
