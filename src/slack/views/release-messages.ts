import type { KnownBlock } from '@slack/types';
import type { Secret } from '../../inventory/secret.js';
import { ACTION_IDS } from '../ids.js';
import { code, escapeMrkdwn } from './mrkdwn.js';
import type { SlackMessage } from './slack-message.js';

/** Secrets listed with their own Start rotation button; the rest by name (a message holds 50 blocks). */
const LISTED = 20;

/** To an owner, once per release check: rotate these before the release, each with Start rotation. */
export function releaseOwnerNotice(environment: string, secrets: readonly Secret[], dueAt: string): SlackMessage {
  const title = `:package: Before the ${escapeMrkdwn(environment)} release, please rotate ${secrets.length === 1 ? 'this secret' : `these ${secrets.length} secrets`} you own by *${dueAt.slice(0, 10)}* (rotation needed: release).`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: title } }];
  for (const secret of secrets.slice(0, LISTED)) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `${code(secret.name)} · next rotation ${secret.nextRotation}` },
      accessory: {
        type: 'button',
        action_id: ACTION_IDS.rotationOpen,
        text: { type: 'plain_text', text: 'Start rotation' },
        value: secret.name,
      },
    });
  }
  if (secrets.length > LISTED)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `…and ${secrets.length - LISTED} more: ${secrets
          .slice(LISTED, LISTED + 60)
          .map((secret) => code(secret.name))
          .join(', ')}`,
      },
    });
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: 'Asked by `rotor release check --open`. Each rotation starts when you press Start rotation (or `/rotate <name>`).',
      },
    ],
  });
  return {
    text: `Before the ${environment} release, rotate ${secrets.length} secret${secrets.length === 1 ? '' : 's'} by ${dueAt.slice(0, 10)}`,
    blocks,
  };
}
