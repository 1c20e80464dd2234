import type { BlockButtonAction } from '@slack/bolt';
import { ACTION_IDS } from '../../ids.js';
import { dueSoonDays, type SlackDeps } from '../../slack-deps.js';
import { secretListMessage } from '../../views/secret-list-message.js';
import type { ActionRegistry } from '../action-registry.js';
import { decodeListQuery, fetchListPage } from '../commands/secret-list-query.js';

/** "Show more" under a list: posts the next page below the one clicked. */
export function registerListMoreAction(actions: ActionRegistry, deps: SlackDeps): void {
  actions.on<BlockButtonAction>(ACTION_IDS.listMore, async ({ ack, action, respond }) => {
    await ack();
    const page = fetchListPage(deps, decodeListQuery(action.value ?? ''));
    const message = secretListMessage(page, deps.runtime.services.clock.now(), dueSoonDays(deps));
    await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks });
  });
}
