import type { BlockButtonAction } from '@slack/bolt';
import { ACTION_IDS } from '../../ids.js';
import { dueSoonDays, type SlackDeps } from '../../slack-deps.js';
import { readReply } from '../../replies/read-replies.js';
import type { ActionRegistry } from '../action-registry.js';

/** "Show more" under a list: posts the next page below the one clicked. */
export function registerListMoreAction(actions: ActionRegistry, deps: SlackDeps): void {
  actions.on<BlockButtonAction>(ACTION_IDS.listMore, async ({ ack, action, respond }) => {
    await ack();
    const message = readReply(deps.runtime.services.inventory, { kind: 'more', value: action.value ?? '' }, deps.runtime.services.clock.now(), dueSoonDays(deps));
    await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks });
  });
}
