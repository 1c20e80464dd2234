import type { App, BlockAction } from '@slack/bolt';
import { ACTION_IDS } from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { textMessage } from '../../views/secret-list-message.js';
import { REMINDER_ACTION_IDS, SNOOZE_ACTION_PATTERN } from '../../views/reminder-ids.js';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every action id some other listener handles; the stale-action listener must never match these. */
export function handledActionPattern(deps: Pick<SlackDeps, 'reminderActions'>): RegExp {
  const exact = [ACTION_IDS.listMore, ...(deps.reminderActions ? [REMINDER_ACTION_IDS.notMine, REMINDER_ACTION_IDS.digestItemMenu] : [])].map(escapeRegExp);
  const patterns = deps.reminderActions ? [SNOOZE_ACTION_PATTERN.source.replace(/^\^|\$$/g, '')] : [];
  return new RegExp(`^(?:${[...exact, ...patterns].join('|')})$`);
}

/**
 * A button or menu no listener handles (from a message an older Rotor posted, or a forged
 * payload) would go unacknowledged: Slack waits 3 seconds and shows an error icon. Ack it and
 * say what to do instead.
 */
export function registerStaleActions(app: App, deps: SlackDeps): void {
  const handled = handledActionPattern(deps);
  const unhandled = new RegExp(`^(?!${handled.source.slice(1, -1)}$)`);
  app.action<BlockAction>({ type: 'block_actions', action_id: unhandled }, async ({ ack, respond }) => {
    await ack();
    const message = textMessage(':warning: That button is not one this Rotor handles (the message may be from an older version). Run the command again; `/secrets help` lists them.');
    await respond({ response_type: 'ephemeral', replace_original: false, ...message });
  });
}
