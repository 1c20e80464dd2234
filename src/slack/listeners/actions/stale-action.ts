import { markUnhandled } from '../../middleware/acknowledgement.js';
import { outdatedButtonMessage } from '../../views/unhandled-request-views.js';
import type { ActionRegistry } from '../action-registry.js';

/**
 * A button or menu no listener handles (from a message an older Rotor posted, or a forged
 * payload) would go unacknowledged: Slack waits 3 seconds and shows an error icon. Ack it and
 * say what to do instead; the metrics count it as unhandled. Registered after every other action
 * listener.
 */
export function registerStaleActions(actions: ActionRegistry): void {
  actions.onUnhandled(async ({ ack, respond, context }) => {
    await ack();
    markUnhandled(context);
    await respond({ response_type: 'ephemeral', replace_original: false, ...outdatedButtonMessage() });
  });
}
