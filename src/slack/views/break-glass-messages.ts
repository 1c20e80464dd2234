import type { KnownBlock } from '@slack/types';
import type { Secret } from '../../inventory/secret.js';
import { dueDayOf, type RotationNeed } from '../../rotation-needs/rotation-need.js';
import { ACTION_IDS } from '../ids.js';
import { code, escapeWithin, mention } from './mrkdwn.js';
import type { SlackMessage } from './slack-message.js';

function startRotation(secret: Secret): KnownBlock {
  return {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: ACTION_IDS.rotationOpen,
        style: 'primary',
        text: { type: 'plain_text', text: 'Start rotation' },
        value: secret.name,
      },
    ],
  };
}

function why(need: RotationNeed): string {
  return need.detail ? `“${escapeWithin(need.detail, 500)}”` : 'no reason given';
}

/** To security: a break-glass credential was used, by whom and why, and when it must be rotated by. */
export function breakGlassSecurityNotice(need: RotationNeed, secret: Secret): SlackMessage {
  const text =
    `:rotating_light: Break-glass credential ${code(secret.name)} was used by ${mention(need.person)}: ${why(need)}\n` +
    `It must be rotated by *${dueDayOf(need)}* (${need.dueAt.slice(11, 16)} UTC); its reminders cannot be snoozed. Owner: ${mention(secret.owner)}, backup owner: ${mention(secret.backupOwner)}.`;
  return {
    text: `Break-glass credential ${secret.name} was used; it must be rotated by ${dueDayOf(need)}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, startRotation(secret)],
  };
}

/** To the owner: rotate the break-glass credential that was used, with Start rotation. */
export function breakGlassOwnerNotice(need: RotationNeed, secret: Secret): SlackMessage {
  const text =
    `:rotating_light: ${code(secret.name)}, a break-glass credential you own, was used by ${mention(need.person)}: ${why(need)}\n` +
    `Rotate it by *${dueDayOf(need)}* (${need.dueAt.slice(11, 16)} UTC). Its reminders cannot be snoozed; security has been told.`;
  return {
    text: `${secret.name} was used; rotate it by ${dueDayOf(need)}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, startRotation(secret)],
  };
}

/** The reply to `/secrets used`: recorded, due by when, who was told. */
export function breakGlassRecordedReply(need: RotationNeed, secret: Secret): SlackMessage {
  const text =
    `:white_check_mark: Recorded your use of ${code(secret.name)}. It must be rotated by *${dueDayOf(need)}* (${need.dueAt.slice(11, 16)} UTC); ` +
    `security and its owner ${mention(secret.owner)} are being told. \`/rotate ${secret.name}\` starts the rotation.`;
  return {
    text: `Recorded the use of ${secret.name}; rotate it by ${dueDayOf(need)}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}
