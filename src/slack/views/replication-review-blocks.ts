import type { KnownBlock } from '@slack/types';
import { REPLICATION_REVIEW_LIMIT, type ReplicationFindings, type ReplicationGap } from '../../reviews/replication-review.js';
import { LIMITS } from './block-kit-limits.js';
import { code, escapeMrkdwn } from './mrkdwn.js';

/** Names per list before "and N more", as the review's other sections. */
const NAMES_SHOWN = 25;

function listed(lines: readonly string[]): string {
  const shown = lines.slice(0, NAMES_SHOWN);
  const rest = lines.length - shown.length;
  return `${shown.join('\n')}${rest > 0 ? `\n…and ${rest} more` : ''}`;
}

/** What a secret lacks: the required regions without a copy, then those whose replica is not in sync, with its status. */
function gapText(gap: ReplicationGap): string {
  return [
    ...(gap.missing.length > 0 ? [`missing ${gap.missing.map(code).join(', ')}`] : []),
    ...gap.notInSync.map((replica) => `${code(replica.region)} not in sync (${escapeMrkdwn(replica.status)})`),
  ].join('; ');
}

/** `/secrets review`'s section on the policy's required replica regions: names and regions only, never a value. */
export function replicationReviewBlocks(findings: ReplicationFindings): KnownBlock[] {
  const title = 'Not replicated to every required region';
  const text =
    findings.gaps.length === 0
      ? `*${title}*: none :white_check_mark:`
      : `*${title}* (${findings.gaps.length})\n${listed(
          findings.gaps.map((gap) => `${code(gap.secret)} (${escapeMrkdwn(gap.environment)}): ${gapText(gap)}`),
        )}`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, LIMITS.sectionText) } }];
  if (findings.unread.length > 0) {
    const unread = `*Replicas not read this time* (${findings.unread.length})\n${listed(
      findings.unread.map((entry) => `${code(entry.secret)}: ${escapeMrkdwn(entry.reason.split('\n')[0]?.slice(0, 300) ?? '')}`),
    )}`;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: unread.slice(0, LIMITS.sectionText) } });
  }
  const notes = [
    `${findings.complete} in every required region`,
    ...(findings.notReplicatedCount > 0
      ? [
          `${findings.notReplicatedCount} in a store that does not replicate, not checked: ${findings.notReplicated.map(code).join(', ')}${findings.notReplicatedCount > findings.notReplicated.length ? ' …' : ''}`,
        ]
      : []),
    ...(findings.leftOut > 0 ? [`${findings.leftOut} more not read this time (at most ${REPLICATION_REVIEW_LIMIT} per review)`] : []),
  ];
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: notes.join(' · ').slice(0, 2900) }] });
  return blocks;
}
