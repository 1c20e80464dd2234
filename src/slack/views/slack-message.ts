import type { KnownBlock } from '@slack/types';
import { LIMITS } from './block-kit-limits.js';
import { truncateMrkdwn } from './mrkdwn.js';

/** A message as every view builder returns it: the notification text and the blocks. */
export interface SlackMessage {
  /** Notification and screen-reader text. */
  text: string;
  blocks: KnownBlock[];
}

/** A plain reply: one mrkdwn section (cut to Slack's limit) and the same text as the fallback. */
export function textMessage(text: string): SlackMessage {
  const cut = truncateMrkdwn(text, LIMITS.sectionText);
  return { text: cut, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: cut } }] };
}
