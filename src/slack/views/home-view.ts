import type { DateTime } from 'luxon';
import type { HomeView, KnownBlock } from '@slack/types';
import type { Secret } from '../../inventory/secret.js';
import { code, mention } from './mrkdwn.js';
import { secretRowBlock } from './secret-row.js';

export interface HomeData {
  userId: string;
  /** The person's secrets (owner or backup), most urgent first. */
  secrets: readonly Secret[];
  /** Rotations in progress the person can see: their own secrets in `rotating`. */
  rotating: readonly Secret[];
}

/** Secrets listed on the Home tab before pointing to `/secrets list`; keeps the view far below 100 blocks. */
export const HOME_SECRET_LIMIT = 30;

/** App Home: my secrets by urgency, rotations in progress, what awaits my approval. */
export function homeView(data: HomeData, today: DateTime, dueSoonDays: number): HomeView {
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: 'Your secrets' } }];
  if (data.secrets.length === 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `You own no secrets and back up none. \`/secrets list\` shows the whole inventory.` } });
  } else {
    blocks.push(...data.secrets.slice(0, HOME_SECRET_LIMIT).map((secret) => secretRowBlock(secret, today, dueSoonDays)));
    if (data.secrets.length > HOME_SECRET_LIMIT) {
      blocks.push({
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `…and ${data.secrets.length - HOME_SECRET_LIMIT} more: \`/secrets list ${mention(data.userId)}\`` }],
      });
    }
  }
  blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Rotations in progress' } });
  blocks.push({
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: data.rotating.length === 0 ? 'None of your secrets is being rotated.' : data.rotating.slice(0, 20).map((secret) => `• ${code(secret.name)}`).join('\n'),
    },
  });
  blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Awaiting your approval' } });
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: 'Nothing awaits your approval. Approval requests for production rotations appear here once guided rotation is enabled.' },
  });
  return { type: 'home', blocks };
}
