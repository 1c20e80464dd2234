import type { App, BlockAction } from '@slack/bolt';
import { textMessage } from '../../views/slack-message.js';
import type { ActionRegistry } from '../action-registry.js';

/**
 * A button or menu no listener handles (from a message an older Rotor posted, or a forged
 * payload) would go unacknowledged: Slack waits 3 seconds and shows an error icon. Ack it and
 * say what to do instead. Registered after every other action listener.
 */
export function registerStaleActions(app: App, actions: ActionRegistry): void {
  app.action<BlockAction>({ type: 'block_actions', action_id: actions.unhandledPattern() }, async ({ ack, respond }) => {
    await ack();
    const message = textMessage(':warning: That button is not one this Rotor handles (the message may be from an older version). Run the command again; `/secrets help` lists them.');
    await respond({ response_type: 'ephemeral', replace_original: false, ...message });
  });
}
