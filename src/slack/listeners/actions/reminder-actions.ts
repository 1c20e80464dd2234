import type { App, BlockButtonAction, BlockOverflowAction, ViewOutput } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { AccessDeniedError, authorize } from '../../../access/authorize.js';
import { describeWhoMay, type Action } from '../../../access/permissions.js';
import { isRotorError, ValidationError } from '../../../core/errors.js';
import type { NotMineReport, ReminderActionsService } from '../../../reminders/reminder-actions-service.js';
import type { SlackDeps } from '../../slack-deps.js';
import { notMineModal, type NotMineMetadata } from '../../views/not-mine-modal.js';
import { notMineConfirmation, snoozedDigestItemReply, snoozedReminderMessage } from '../../views/reminder-action-messages.js';
import { NOT_MINE_BLOCKS, NOT_MINE_VALUE_ACTION, REMINDER_ACTION_IDS, REMINDER_CALLBACK_IDS, SNOOZE_ACTION_PATTERN } from '../../views/reminder-ids.js';

/** Where a service's field issue shows in the Not-mine modal; anything else goes on the owner picker. */
const NOT_MINE_FIELDS: Record<string, string> = { right_owner: NOT_MINE_BLOCKS.rightOwner, note: NOT_MINE_BLOCKS.note };

/** A digest item's menu value: `snooze:<days>|<key>` or `not_mine|<key>`. */
function parseDigestChoice(value: string): { snoozeDays: number | null; key: string } {
  const bar = value.indexOf('|');
  const choice = value.slice(0, bar);
  const key = value.slice(bar + 1);
  if (bar > 0 && choice === 'not_mine') return { snoozeDays: null, key };
  const days = /^snooze:(\d+)$/.exec(choice)?.[1];
  if (bar > 0 && days) return { snoozeDays: Number(days), key };
  throw new ValidationError('That menu choice is not one Rotor offers; open the reminder again.', []);
}

/**
 * Snooze and Not mine on reminder DMs (single reminders: buttons; digests: an item menu). Each
 * listener acks, reads the payload, asks src/access, calls ReminderActionsService and renders;
 * errors thrown here reach the app's error handler, which answers ephemerally.
 */
export function registerReminderActions(app: App, deps: SlackDeps): void {
  const actions = deps.reminderActions;
  if (!actions) return;
  const { policy, audit } = deps.services;

  /** Checks the reminder still stands and that `actor` may act on it; refusals are audited. */
  const allow = (key: string, actor: string, action: Action) => {
    const { secret } = actions.target(key);
    authorize(policy, audit, { actor, action, secret });
    return secret;
  };

  const snooze = (key: string, days: number, actor: string) => {
    allow(key, actor, 'snooze');
    return actions.snooze(key, days, actor);
  };

  const openNotMine = async (client: WebClient, triggerId: string, key: string, actor: string) => {
    const secret = allow(key, actor, 'not_mine');
    await client.views.open({ trigger_id: triggerId, view: notMineModal(key, secret.name) });
  };

  app.action<BlockButtonAction>({ type: 'block_actions', action_id: SNOOZE_ACTION_PATTERN }, async ({ ack, action, body, client }) => {
    await ack();
    const days = Number(SNOOZE_ACTION_PATTERN.exec(action.action_id)?.[1]);
    const actor = body.user.id;
    const outcome = snooze(action.value ?? '', days, actor);
    const channel = body.channel?.id ?? body.container.channel_id;
    const ts = body.message?.ts;
    if (!channel || !ts) return;
    const message = snoozedReminderMessage((body.message?.blocks ?? []) as KnownBlock[], outcome, actor);
    await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
  });

  app.action<BlockButtonAction>({ type: 'block_actions', action_id: REMINDER_ACTION_IDS.notMine }, async ({ ack, action, body, client }) => {
    await ack();
    await openNotMine(client, body.trigger_id, action.value ?? '', body.user.id);
  });

  app.action<BlockOverflowAction>({ type: 'block_actions', action_id: REMINDER_ACTION_IDS.digestItemMenu }, async ({ ack, action, body, client, respond }) => {
    await ack();
    const choice = parseDigestChoice(action.selected_option.value);
    if (choice.snoozeDays === null) {
      await openNotMine(client, body.trigger_id, choice.key, body.user.id);
      return;
    }
    const reply = snoozedDigestItemReply(snooze(choice.key, choice.snoozeDays, body.user.id), body.user.id);
    await respond({ response_type: 'ephemeral', replace_original: false, text: reply.text, blocks: reply.blocks });
  });

  registerNotMineSubmission(app, actions, allow);
}

function readNotMine(view: ViewOutput): { key: string; rightOwner: string | null; note: string | null } {
  let metadata: Partial<NotMineMetadata>;
  try {
    metadata = JSON.parse(view.private_metadata) as Partial<NotMineMetadata>;
  } catch {
    metadata = {};
  }
  if (typeof metadata.key !== 'string') throw new ValidationError('This form lost the reminder it answers; press Not mine on the reminder again.', []);
  const values = view.state.values;
  const note = values[NOT_MINE_BLOCKS.note]?.[NOT_MINE_VALUE_ACTION]?.value?.trim();
  return { key: metadata.key, rightOwner: values[NOT_MINE_BLOCKS.rightOwner]?.[NOT_MINE_VALUE_ACTION]?.selected_user ?? null, note: note ? note : null };
}

/** Field errors for `response_action: 'errors'` (plain text: Slack shows them verbatim). */
function notMineFieldErrors(error: unknown): Record<string, string> {
  const errors: Record<string, string> = {};
  const add = (blockId: string, message: string) => {
    errors[blockId] = errors[blockId] ? `${errors[blockId]} ${message}` : message;
  };
  if (error instanceof ValidationError && error.issues.length > 0) {
    for (const issue of error.issues) add(NOT_MINE_FIELDS[issue.where] ?? NOT_MINE_BLOCKS.rightOwner, issue.message);
  } else if (error instanceof AccessDeniedError) {
    add(NOT_MINE_BLOCKS.rightOwner, `${error.reason} ${describeWhoMay(error.whoMay).replace(/<@([A-Z0-9]+)>/g, '$1')}`);
  } else if (isRotorError(error)) {
    add(NOT_MINE_BLOCKS.rightOwner, error.message);
  }
  return errors;
}

/**
 * The modal's submission: everything that can be refused is checked before the ack, so problems
 * show on the fields; the admins are told after it, outside Slack's 3-second window.
 */
function registerNotMineSubmission(app: App, actions: ReminderActionsService, allow: (key: string, actor: string, action: Action) => unknown): void {
  app.view(REMINDER_CALLBACK_IDS.notMine, async ({ ack, body, view, client }) => {
    const actor = body.user.id;
    let report: NotMineReport;
    try {
      const input = readNotMine(view);
      allow(input.key, actor, 'not_mine');
      report = actions.reportNotMine(input.key, actor, input.rightOwner, input.note);
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await ack({ response_action: 'errors', errors: notMineFieldErrors(error) });
      return;
    }
    await ack();
    const confirmation = notMineConfirmation(report.secret, await actions.notify(report));
    await client.chat.postMessage({ channel: actor, text: confirmation.text, blocks: confirmation.blocks });
  });
}
