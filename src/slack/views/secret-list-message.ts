import type { DateTime } from 'luxon';
import type { ActionsBlock, ContextBlock, HeaderBlock, KnownBlock } from '@slack/types';
import type { WarningWindow } from '../../inventory/schedule.js';
import type { Secret } from '../../inventory/secret.js';
import type { RotationNeed } from '../../rotation-needs/rotation-need.js';
import { ACTION_IDS } from '../ids.js';
import { LIMITS } from './block-kit-limits.js';
import { truncate } from './mrkdwn.js';
import { secretRowBlock } from './secret-row.js';
import type { SlackMessage } from './slack-message.js';

/** Rows per page: header + context + one section per row + the "more" actions stay under 50 blocks. */
export const PAGE_SIZE = 20;

export interface ListPage {
  title: string;
  secrets: readonly Secret[];
  /** Position of the first row in the whole list (0-based). */
  offset: number;
  /** Opaque state the "more" button carries back to fetch the next page; null when this is the last page. */
  moreValue: string | null;
  /** Said when the page is empty. */
  emptyText: string;
  /** mrkdwn describing the filter (may mention a user, which a plain_text header cannot). */
  filterText?: string;
  /** How many secrets the whole list holds, when it is worth saying (the overdue list). */
  total?: number;
  /** Each row offers *Start rotation* (lists of what needs rotating). */
  rotateButtons?: boolean;
  /** The rows' open rotation needs, by secret id: they can bring a row's date forward. */
  needs?: ReadonlyMap<number, readonly RotationNeed[]>;
}

export function secretListMessage(page: ListPage, today: DateTime, dueSoonDays: WarningWindow): SlackMessage {
  const header: HeaderBlock = { type: 'header', text: { type: 'plain_text', text: truncate(page.title, LIMITS.headerText) } };
  if (page.secrets.length === 0) {
    return { text: page.emptyText, blocks: [header, { type: 'section', text: { type: 'mrkdwn', text: page.emptyText } }] };
  }
  const first = page.offset + 1;
  const last = page.offset + page.secrets.length;
  const range: ContextBlock = {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `${page.filterText ? `${page.filterText} · ` : ''}${rangeText(first, last, page)}` }],
  };
  const rows = page.secrets
    .slice(0, PAGE_SIZE)
    .map((secret) =>
      secretRowBlock(secret, today, dueSoonDays, { rotateButton: page.rotateButtons ?? false, needs: page.needs?.get(secret.id) ?? [] }),
    );
  const blocks: KnownBlock[] = [header, range, ...rows];
  if (page.moreValue) {
    const more: ActionsBlock = {
      type: 'actions',
      elements: [
        { type: 'button', action_id: ACTION_IDS.listMore, text: { type: 'plain_text', text: `Show more` }, value: page.moreValue },
      ],
    };
    blocks.push(more);
  }
  return { text: `${page.title}: ${page.total !== undefined ? `${page.total} in all, ` : ''}${page.secrets.length} shown`, blocks };
}

function rangeText(first: number, last: number, page: ListPage): string {
  if (page.total !== undefined) return `${page.total} in all. Showing ${first}–${last}${page.moreValue ? '; more below.' : '.'}`;
  return page.moreValue ? `Showing ${first}–${last}; more below.` : `Showing ${first}–${last} (all).`;
}
