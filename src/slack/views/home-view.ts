import type { DateTime } from 'luxon';
import type { HomeView, KnownBlock } from '@slack/types';
import type { WarningWindow } from '../../inventory/schedule.js';
import type { Secret } from '../../inventory/secret.js';
import type { RotationRecord } from '../../rotation/rotation.js';
import type { RotationNeed } from '../../rotation-needs/rotation-need.js';
import { ACTION_IDS, encodeRotationRef } from '../ids.js';
import { escapeMrkdwn, mention } from './mrkdwn.js';
import { rotationLine } from './rotation/rotation-messages.js';
import { secretRowBlock } from './secret-row.js';

export interface HomeData {
  userId: string;
  /** The person's secrets (owner or backup), most urgent first. */
  secrets: readonly Secret[];
  /** Open rotations the person holds, or of secrets they own or back up. */
  rotations: readonly RotationRecord[];
  /** Open rotations waiting for an approval this person could give. */
  awaitingApproval: readonly RotationRecord[];
  /** Open rotation needs of the person's secrets, by secret id (a person left, a break-glass use, a release). */
  needs?: ReadonlyMap<number, readonly RotationNeed[]>;
  /** The person's own calendar feed address (personalFeedLink); absent when the feed is off. */
  calendarLink?: string;
}

/** Rotations listed per section; each takes two blocks, far below the view's 100. */
const HOME_ROTATION_LIMIT = 10;

/** Secrets listed on the Home tab before pointing to `/secrets list`; keeps the view far below 100 blocks. */
export const HOME_SECRET_LIMIT = 30;

/** App Home: my secrets by urgency, rotations in progress, what awaits my approval. */
export function homeView(data: HomeData, today: DateTime, dueSoonDays: WarningWindow): HomeView {
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: 'Your secrets' } }];
  if (data.secrets.length === 0) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `You own no secrets and back up none. \`/secrets list\` shows the secrets you may see.` },
    });
  } else {
    blocks.push(
      ...data.secrets
        .slice(0, HOME_SECRET_LIMIT)
        .map((secret) => secretRowBlock(secret, today, dueSoonDays, { rotateButton: true, needs: data.needs?.get(secret.id) ?? [] })),
    );
    if (data.secrets.length > HOME_SECRET_LIMIT) {
      blocks.push({
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `…and ${data.secrets.length - HOME_SECRET_LIMIT} more: \`/secrets list ${mention(data.userId)}\`` },
        ],
      });
    }
  }
  blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Rotations in progress' } });
  if (data.rotations.length === 0)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: 'None of your secrets is being rotated. `/rotate &lt;name&gt;` starts one.' },
    });
  for (const record of data.rotations.slice(0, HOME_ROTATION_LIMIT)) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: rotationLine(record) },
      accessory: {
        type: 'button',
        action_id: ACTION_IDS.rotationOpen,
        text: { type: 'plain_text', text: 'Open' },
        value: record.rotation.secretName,
      },
    });
  }
  blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Awaiting your approval' } });
  if (data.awaitingApproval.length === 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'Nothing awaits your approval.' } });
  for (const record of data.awaitingApproval.slice(0, HOME_ROTATION_LIMIT)) {
    blocks.push(
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `${rotationLine(record)}\nTicket ${escapeMrkdwn(record.rotation.ticket ?? '—')}, started by ${mention(record.rotation.startedBy)}`,
        },
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTION_IDS.rotationApprove,
            style: 'primary',
            text: { type: 'plain_text', text: 'Approve' },
            value: encodeRotationRef(record.rotation.id),
          },
          {
            type: 'button',
            action_id: ACTION_IDS.rotationReject,
            style: 'danger',
            text: { type: 'plain_text', text: 'Reject…' },
            value: encodeRotationRef(record.rotation.id),
          },
          {
            type: 'button',
            action_id: ACTION_IDS.rotationOpen,
            text: { type: 'plain_text', text: 'See the checklist' },
            value: record.rotation.secretName,
          },
        ],
      },
    );
  }
  if (data.calendarLink) {
    const whole = /^https?:/.test(data.calendarLink);
    blocks.push(
      { type: 'divider' },
      { type: 'header', text: { type: 'plain_text', text: 'Your rotation calendar' } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: [
            'The overdue and upcoming rotations of the secrets you may see, with alarms 30 and 7 days before. Subscribe to this address in your calendar app:',
            '```' + escapeMrkdwn(data.calendarLink) + '```',
            ...(whole ? [] : ['Put it after the address Rotor is reached at (an admin can set `ROTOR_PUBLIC_URL` to show it whole).']),
            'Anyone with this link sees what you see: keep it to yourself.',
          ].join('\n'),
        },
      },
    );
  }
  return { type: 'home', blocks };
}
