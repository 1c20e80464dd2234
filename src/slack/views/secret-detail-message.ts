import type { DateTime } from 'luxon';
import type { KnownBlock } from '@slack/types';
import { deriveStatus, type WarningWindow } from '../../inventory/schedule.js';
import type { Secret } from '../../inventory/secret.js';
import { LIMITS } from './block-kit-limits.js';
import { accessText, code, consumersText, escapeMrkdwn, escapeWithin, mention, truncate } from './mrkdwn.js';
import { describeDue, statusLabel } from './secret-row.js';
import type { SlackMessage } from './slack-message.js';

/** `/secrets show`: every metadata field. Rotor holds no value, so none can appear here. */
export function secretDetailMessage(secret: Secret, today: DateTime, dueSoonDays: WarningWindow): SlackMessage {
  const status = deriveStatus(secret.lifecycle, secret.nextRotation, today, dueSoonDays, secret.intervalDays);
  const field = (label: string, value: string) => ({ type: 'mrkdwn' as const, text: `*${label}*\n${value}` });
  const optional = (value: string | null) => (value ? escapeWithin(value, 500) : '—');
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(secret.name, LIMITS.headerText) } },
    {
      type: 'section',
      fields: [
        field('Status', statusLabel(status)),
        field('Next rotation', describeDue(secret.nextRotation, today)),
        field('Owner', mention(secret.owner)),
        field('Backup owner', mention(secret.backupOwner)),
        field('Type', code(secret.type)),
        field('Team', optional(secret.team)),
        field(
          'Provider',
          secret.providerRef ? `${code(secret.provider)} ${code(truncate(secret.providerRef, 500))}` : code(secret.provider),
        ),
        field('Interval', `${secret.intervalDays} days`),
        field('Last rotated', secret.lastRotated ? escapeMrkdwn(secret.lastRotated.slice(0, 10)) : 'never'),
        field('Consumers', secret.consumers.length > 0 ? consumersText(secret.consumers, 500) : '—'),
      ],
    },
  ];
  blocks.push({
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: `*Who else can read it*\n${accessText(secret.access)}${secret.breakGlass ? `\n:rotating_light: *Break-glass credential*: record each use with \`/secrets used ${escapeMrkdwn(secret.name)} &lt;reason&gt;\`; it must be rotated soon after.` : ''}`,
    },
  });
  // Cut after escaping: a section holds at most 3,000 characters of what Slack receives.
  if (secret.description)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Description*\n${escapeWithin(secret.description, 2000)}` } });
  if (secret.retrievalInstructions) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*How to retrieve it*\n${escapeWithin(secret.retrievalInstructions, 2000)}` },
    });
  }
  return { text: `${secret.name}: ${status}, next rotation ${secret.nextRotation}`, blocks };
}
