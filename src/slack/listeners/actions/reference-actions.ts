import type { BlockButtonAction } from '@slack/bolt';
import { slackActor } from '../../../access/actor.js';
import { isRotorError } from '../../../core/errors.js';
import { decodeReferenceRequestRef, ACTION_IDS } from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { referenceDecidedMessage } from '../../views/reference-change-messages.js';
import { flashFor } from '../../views/rotation/rotation-flash.js';
import { textMessage } from '../../views/slack-message.js';
import type { ActionRegistry } from '../action-registry.js';
import { replaceClickedMessage } from './clicked-message.js';

/**
 * Approve / Reject on a security lead's DM about a requested change of where a secret is stored:
 * the service decides (a security lead who did not ask), the DM is redrawn with the decision, and
 * a refusal is said under it.
 */
export function registerReferenceActions(actions: ActionRegistry, deps: SlackDeps): void {
  for (const [actionId, decision] of [
    [ACTION_IDS.referenceApprove, 'approve'],
    [ACTION_IDS.referenceReject, 'reject'],
  ] as const) {
    actions.on<BlockButtonAction>(actionId, async ({ ack, action, body, client, respond }) => {
      await ack();
      const references = deps.runtime.references;
      const actor = slackActor(body.user.id);
      try {
        const id = decodeReferenceRequestRef(action.value ?? '');
        const decided = decision === 'approve' ? await references.approve(actor, id) : references.reject(actor, id);
        await replaceClickedMessage(client, body, referenceDecidedMessage(decided));
      } catch (error) {
        if (!isRotorError(error)) throw error;
        await respond({ response_type: 'ephemeral', replace_original: false, ...textMessage(`:warning: ${flashFor(error).text}`) });
      }
    });
  }
}
