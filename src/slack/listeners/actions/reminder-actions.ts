import type { App, BlockButtonAction, BlockOverflowAction, ViewOutput } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { slackActor } from '../../../access/actor.js';
import { isRotorError } from '../../../core/errors.js';
import type { NotMineReport } from '../../../reminders/reminder-actions-service.js';
import {
  ACTION_IDS,
  CALLBACK_IDS,
  decodeDigestChoice,
  decodeNotMineMetadata,
  decodeNotMineRef,
  FORM_VALUE_ACTION,
  NOT_MINE_BLOCKS,
  SNOOZE_ACTION_PATTERN,
  snoozeDaysOf,
} from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { fieldErrors } from '../../views/field-errors.js';
import { notMineModal } from '../../views/not-mine-modal.js';
import {
  notMineConfirmation,
  snoozedDigestItemReply,
  snoozedReminderMessage,
  suggestedOwnerAppliedMessage,
} from '../../views/reminder-action-messages.js';
import type { ActionRegistry } from '../action-registry.js';
import { replaceClickedMessage } from './clicked-message.js';
import { openRotation, type RotationViewDeps } from '../rotation-views.js';

/** Where a service's field issue shows in the Not-mine modal; anything else goes on the owner picker. */
const NOT_MINE_FIELDS: Record<string, string> = { right_owner: NOT_MINE_BLOCKS.rightOwner, note: NOT_MINE_BLOCKS.note };

/**
 * Snooze, Not mine and Start rotation on reminder DMs (single reminders: buttons, Start rotation
 * being rotation-actions' rotationOpen; digests: an item menu), and the admins' button that
 * applies a suggested owner. Each listener acks, reads the payload, calls ReminderActionsService
 * (which authorizes) and renders; errors thrown here reach the app's error handler, which
 * answers ephemerally.
 */
export function registerReminderActions(
  app: App,
  actions: ActionRegistry,
  deps: RotationViewDeps & Pick<SlackDeps, 'reminderActions'>,
): void {
  const service = () => deps.reminderActions;

  const openNotMine = async (client: WebClient, triggerId: string, key: string, userId: string) => {
    const secret = service().authorizeNotMine(key, slackActor(userId));
    await client.views.open({ trigger_id: triggerId, view: notMineModal(key, secret.name) });
  };

  actions.on<BlockButtonAction>(SNOOZE_ACTION_PATTERN, async ({ ack, action, body, client }) => {
    await ack();
    const actor = body.user.id;
    const outcome = service().snooze(action.value ?? '', snoozeDaysOf(action.action_id), slackActor(actor));
    await replaceClickedMessage(client, body, snoozedReminderMessage((body.message?.blocks ?? []) as KnownBlock[], outcome, actor));
  });

  actions.on<BlockButtonAction>(ACTION_IDS.notMine, async ({ ack, action, body, client }) => {
    await ack();
    await openNotMine(client, body.trigger_id, action.value ?? '', body.user.id);
  });

  actions.on<BlockOverflowAction>(ACTION_IDS.digestItemMenu, async ({ ack, action, body, client, respond }) => {
    await ack();
    const choice = decodeDigestChoice(action.selected_option.value);
    if (choice.kind === 'not_mine') {
      await openNotMine(client, body.trigger_id, choice.key, body.user.id);
      return;
    }
    if (choice.kind === 'rotate') {
      // The rotation modal checks that this person may rotate the secret, and says so in the modal.
      await openRotation(deps, client, body.trigger_id, slackActor(body.user.id), service().target(choice.key).secret.name);
      return;
    }
    const reply = snoozedDigestItemReply(service().snooze(choice.key, choice.days, slackActor(body.user.id)), body.user.id);
    await respond({ response_type: 'ephemeral', replace_original: false, text: reply.text, blocks: reply.blocks });
  });

  actions.on<BlockButtonAction>(ACTION_IDS.notMineApplyOwner, async ({ ack, action, body, client }) => {
    await ack();
    const actor = body.user.id;
    const outcome = await service().applySuggestedOwner(decodeNotMineRef(action.value ?? ''), slackActor(actor));
    await replaceClickedMessage(client, body, suggestedOwnerAppliedMessage((body.message?.blocks ?? []) as KnownBlock[], outcome, actor));
  });

  registerNotMineSubmission(app, deps);
}

function readNotMine(view: ViewOutput): { key: string; rightOwner: string | null; note: string | null } {
  const { key } = decodeNotMineMetadata(view.private_metadata);
  const values = view.state.values;
  const note = values[NOT_MINE_BLOCKS.note]?.[FORM_VALUE_ACTION]?.value?.trim();
  return { key, rightOwner: values[NOT_MINE_BLOCKS.rightOwner]?.[FORM_VALUE_ACTION]?.selected_user ?? null, note: note ? note : null };
}

/**
 * The modal's submission: everything that can be refused is checked before the ack, so problems
 * show on the fields; the admins are told after it, outside Slack's 3-second window (a repeat
 * tells nobody and says so).
 */
function registerNotMineSubmission(app: App, deps: Pick<SlackDeps, 'reminderActions'>): void {
  app.view(CALLBACK_IDS.notMine, async ({ ack, body, view, client }) => {
    const actor = body.user.id;
    const service = deps.reminderActions;
    let report: NotMineReport;
    try {
      const input = readNotMine(view);
      report = service.reportNotMine(input.key, slackActor(actor), input.rightOwner, input.note);
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await ack({ response_action: 'errors', errors: fieldErrors(error, (where) => NOT_MINE_FIELDS[where], NOT_MINE_BLOCKS.rightOwner) });
      return;
    }
    await ack();
    const confirmation = notMineConfirmation(report.facts.secret, await service.notify(report), report.earlier);
    await client.chat.postMessage({ channel: actor, text: confirmation.text, blocks: confirmation.blocks });
  });
}
