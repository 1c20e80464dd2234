import type { BlockButtonAction } from '@slack/bolt';
import { slackActor } from '../../../access/actor.js';
import { decodeReferenceRequestRef, ACTION_IDS } from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { referenceDecidedMessage } from '../../views/reference-change-messages.js';
import type { ActionRegistry } from '../action-registry.js';
import { replaceClickedMessage } from './clicked-message.js';

/**
 * Approve / Reject on a security lead's DM about a requested change of where a secret is stored:
 * the service decides (a security lead who did not ask), the DM is redrawn with the decision, and
 * a refusal, thrown, is said under it by the error handler.
 */
export function registerReferenceActions(actions: ActionRegistry, deps: Pick<SlackDeps, 'references'>): void {
  for (const [actionId, decision] of [
    [ACTION_IDS.referenceApprove, 'approve'],
    [ACTION_IDS.referenceReject, 'reject'],
  ] as const) {
    actions.on<BlockButtonAction>(actionId, async ({ ack, action, body, client }) => {
      await ack();
      const references = deps.references;
      const actor = slackActor(body.user.id);
      const id = decodeReferenceRequestRef(action.value ?? '');
      const decided = decision === 'approve' ? await references.approve(actor, id) : references.reject(actor, id);
      await replaceClickedMessage(client, body, referenceDecidedMessage(decided));
    });
  }
}
