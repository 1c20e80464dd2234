import type { BlockButtonAction } from '@slack/bolt';
import { slackActor } from '../../../access/actor.js';
import type { AccessAnswer } from '../../../reviews/review-repo.js';
import { ACTION_IDS, decodeAccessReviewRef } from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { accessReviewAskMessage } from '../../views/scheduled-review-messages.js';
import { secretFormModal } from '../../views/secret-form-modal.js';
import type { ActionRegistry } from '../action-registry.js';
import { replaceClickedMessage } from './clicked-message.js';

/**
 * The owner's answers on an access-review DM: *Confirm readers* records that the readers stand;
 * *Change readers…* records the answer and opens the secret's edit form (whose save is audited
 * as any edit). The service refuses anyone but the owner, and the app's error handler says so.
 */
export function registerAccessReviewActions(
  actions: ActionRegistry,
  deps: Pick<SlackDeps, 'reviews' | 'inventoryService' | 'policy'>,
): void {
  const answer = (value: string | undefined, choice: AccessAnswer, userId: string) => {
    const { item } = deps.reviews.answer(decodeAccessReviewRef(value ?? ''), choice, slackActor(userId));
    const review = deps.reviews.get(item.reviewId);
    const { items, page, pages } = deps.reviews.pageOf(item);
    return { item, message: review ? accessReviewAskMessage(review, items, page, pages) : null };
  };

  actions.on<BlockButtonAction>(ACTION_IDS.accessReviewConfirm, async ({ ack, action, body, client }) => {
    await ack();
    const { message } = answer(action.value, 'confirmed', body.user.id);
    if (message) await replaceClickedMessage(client, body, message);
  });

  actions.on<BlockButtonAction>(ACTION_IDS.accessReviewChange, async ({ ack, action, body, client }) => {
    await ack();
    const { item, message } = answer(action.value, 'change', body.user.id);
    const secret = deps.inventoryService.editable(slackActor(body.user.id), item.secretName);
    await client.views.open({ trigger_id: body.trigger_id, view: secretFormModal(secret, deps.policy.intervals) });
    if (message) await replaceClickedMessage(client, body, message);
  });
}
