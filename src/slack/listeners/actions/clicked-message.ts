import type { BlockAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { SlackMessage } from '../../views/slack-message.js';

/** Where the clicked message lives (a DM or a channel), to edit it in place; null for a click in a modal or the Home tab. */
export function clickedMessage(body: BlockAction): { channel: string; ts: string } | null {
  const channel = body.channel?.id ?? body.container.channel_id;
  const ts = body.message?.ts;
  return channel && ts ? { channel, ts } : null;
}

/** Redraws the clicked message with `message`; a click from no message (a modal, the Home tab) has nothing to redraw. */
export async function replaceClickedMessage(client: WebClient, body: BlockAction, message: SlackMessage): Promise<void> {
  const where = clickedMessage(body);
  if (where) await client.chat.update({ ...where, text: message.text, blocks: message.blocks });
}
