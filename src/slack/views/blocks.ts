import type { Button, KnownBlock } from '@slack/types';
import { LIMITS } from './block-kit-limits.js';
import { truncate, truncateMrkdwn } from './mrkdwn.js';

/** The few Block Kit pieces every view builds with, each kept within Slack's limits. */

/** A mrkdwn section (already escaped text), cut to Slack's 3,000 characters. */
export function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(text, LIMITS.sectionText) } };
}

/** A context line of mrkdwn (already escaped text). */
export function context(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncateMrkdwn(text, LIMITS.sectionText) }] };
}

export function button(actionId: string, text: string, value: string, style?: 'primary' | 'danger'): Button {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: truncate(text, LIMITS.buttonText) },
    value,
    ...(style ? { style } : {}),
  };
}
