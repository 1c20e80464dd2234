import type { KnownBlock } from '@slack/types';
import type { DateTime } from 'luxon';
import type { InventoryAudit, MonthlyChecks } from '../../reviews/review-service.js';
import type { AccessReviewItem, Review } from '../../reviews/review-repo.js';
import type { RotationReport } from '../../rotation/history/rotation-report.js';
import { ACTION_IDS, encodeAccessReviewRef } from '../ids.js';
import { button, context, section } from './blocks.js';
import { accessText, code, mention } from './mrkdwn.js';
import { reviewMessage } from './review-message.js';
import type { SlackMessage } from './slack-message.js';

/** Names shown per list before "and N more". */
const SHOWN = 25;

function listed(values: readonly string[]): string {
  const shown = values.slice(0, SHOWN);
  return `${shown.join('\n')}${values.length > shown.length ? `\n…and ${values.length - shown.length} more` : ''}`;
}

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record);
  return entries.length === 0 ? 'none' : entries.map(([key, count]) => `${code(key)} ${count}`).join(', ');
}

/** The monthly review posted on its own (the playbook's four checks); the quarterly one adds the ownership and inventory audit. */
export function scheduledReviewMessage(review: Review, checks: MonthlyChecks, audit: InventoryAudit | null, today: DateTime): SlackMessage {
  const title = review.kind === 'quarterly' ? `Quarterly secrets review ${review.period}` : `Monthly secrets review ${review.period}`;
  const extra: KnownBlock[] = audit
    ? [
        { type: 'divider' },
        section(
          `*Inventory audit*\n${audit.live} live secrets, ${audit.retired} retired\nBy environment: ${counts(audit.byEnvironment)}\nBy store: ${counts(audit.byProvider)}`,
        ),
        section(
          `*Ownership assignments* (${audit.owners.length} owners)\n${listed(audit.owners.map((entry) => `${mention(entry.owner)}: ${entry.secrets}`))}`,
        ),
        context(
          "Check that each owner still holds these secrets, update the procedures and train new team members (the playbook's quarterly review).",
        ),
      ]
    : [];
  return reviewMessage(checks, today, { title, extra });
}

/** The annual review: the year's `rotor report rotations`, its totals and what was missed. */
export function annualReviewMessage(review: Review, report: RotationReport): SlackMessage {
  const { totals } = report;
  const missed = report.secrets.filter((secret) => secret.missed).map((secret) => code(secret.name));
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Annual secrets review ${review.period}` } },
    section(
      `*Rotations in ${review.period}*: ${totals.rotations} over ${totals.secrets} secrets\n` +
        `On time ${totals.onTime} · late ${totals.late} · rolled back ${totals.rolledBack} · unknown ${totals.unknown} · outside Rotor ${totals.outsideRotor}`,
    ),
    section(
      missed.length === 0 ? '*Missed rotations*: none :white_check_mark:' : `*Missed rotations* (${missed.length})\n${listed(missed)}`,
    ),
    context(
      `The full report: \`rotor report rotations --since ${review.period}-01-01 --until ${review.period}-12-31\`. Complete the security audit, review the policies, assess the tooling and plan improvements (the playbook's annual review).`,
    ),
  ];
  return { text: `Annual secrets review ${review.period}: ${totals.rotations} rotations, ${totals.missed} missed`, blocks };
}

function itemBlocks(item: AccessReviewItem): KnownBlock[] {
  const question = section(`${code(item.secretName)}\nMay read it besides you and the backup owner: ${accessText(item.readers, 20)}`);
  if (item.answer !== null)
    return [
      question,
      context(
        item.answer === 'confirmed'
          ? `:white_check_mark: Confirmed by ${mention(item.answeredBy)}`
          : `:pencil2: ${mention(item.answeredBy)} is changing who may read it`,
      ),
    ];
  const value = encodeAccessReviewRef(item.id);
  return [
    question,
    {
      type: 'actions',
      block_id: `access_review_${item.id}`,
      elements: [
        button(ACTION_IDS.accessReviewConfirm, 'Confirm readers', value, 'primary'),
        button(ACTION_IDS.accessReviewChange, 'Change readers…', value),
      ],
    },
  ];
}

/** One page of an owner's access review: each secret with its readers and a Confirm and a Change button (at most 2 + 2×10 blocks). */
export function accessReviewAskMessage(review: Review, items: readonly AccessReviewItem[], page: number, pages: number): SlackMessage {
  const respondBy = review.respondBy ? review.respondBy.slice(0, 10) : 'soon';
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: `Access review ${review.period}${pages > 1 ? ` (${page + 1} of ${pages})` : ''}` },
    },
    context(
      `Access reviews occur quarterly. For each secret you own, confirm who may read it, or change it. Unanswered by ${respondBy}, it goes to the security leads.`,
    ),
    ...items.flatMap(itemBlocks),
  ];
  return { text: `Access review ${review.period}: confirm who may read ${items.length} of your secrets`, blocks };
}

/** An owner's secrets still unanswered when the policy's days ran out, for security: once. */
export function accessReviewEscalationMessage(review: Review, owner: string, items: readonly AccessReviewItem[]): SlackMessage {
  const blocks: KnownBlock[] = [
    section(
      `:warning: *Access review ${review.period}*: ${mention(owner)} has not confirmed who may read ${items.length} secret${items.length === 1 ? '' : 's'}`,
    ),
    section(listed(items.map((item) => `${code(item.secretName)}: ${accessText(item.readers, 10)}`))),
    context('Ask the owner, or review the readers with `/secrets edit <name>`; the outcome is in `rotor reviews show`.'),
  ];
  return { text: `Access review ${review.period}: ${items.length} unconfirmed secrets of ${owner}`, blocks };
}
