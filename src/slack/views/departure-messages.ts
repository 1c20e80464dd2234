import type { KnownBlock } from '@slack/types';
import type { DigestAsk, SoleApprover } from '../../personnel/departure-service.js';
import { dueDayOf, type RotationNeed } from '../../rotation-needs/rotation-need.js';
import { ACTION_IDS } from '../ids.js';
import { LIMITS } from './block-kit-limits.js';
import { code, escapeMrkdwn, mention, truncate } from './mrkdwn.js';
import type { SlackMessage } from './slack-message.js';

/** Secrets listed with their own button; the rest by name (a message holds 50 blocks). */
const LISTED = 20;

function secretRow(name: string, line: string, button: string): KnownBlock {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: truncate(`${code(name)} · ${line}`, LIMITS.sectionText) },
    accessory: { type: 'button', action_id: ACTION_IDS.rotationOpen, text: { type: 'plain_text', text: button }, value: name },
  };
}

function names(list: readonly string[]): string {
  return list.map(code).join(', ');
}

/**
 * The one DM a person gets when someone leaves: the secrets to rotate (with Start rotation), those
 * offered to them to own, the open rotations to take over and the approvals asked of them instead.
 */
export function departureDigest(
  leaver: string,
  ask: DigestAsk,
  needs: ReadonlyMap<string, RotationNeed>,
  cause: string | null = null,
): SlackMessage {
  const due = (name: string) => {
    const need = needs.get(name);
    return need ? `rotate by *${dueDayOf(need)}*` : 'rotate it';
  };
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:wave: ${mention(leaver)} ${cause ? `was ${escapeMrkdwn(cause)}` : 'has left (deactivated in Slack)'}. They could read the secrets below, so each must be rotated (rotation needed: personnel change).`,
      },
    },
  ];
  const rows: KnownBlock[] = [];
  for (const name of ask.rotate) rows.push(secretRow(name, `you own it · ${due(name)}`, 'Start rotation'));
  for (const name of ask.offered)
    rows.push(
      secretRow(
        name,
        `${mention(leaver)} owned it and it has no backup owner: take it over with \`/secrets owner ${escapeMrkdwn(name)} @you\` (or hand it on), then ${due(name)}`,
        'Start rotation',
      ),
    );
  for (const { secret } of ask.takeOver)
    rows.push(
      secretRow(secret, `${mention(leaver)} held its open rotation: open it and press *Take over* to finish it`, 'Open the rotation'),
    );
  for (const { secret } of ask.approve)
    rows.push(
      secretRow(secret, `its open rotation was waiting for ${mention(leaver)}'s approval: you may approve it instead`, 'Open the rotation'),
    );
  blocks.push(...rows.slice(0, LISTED));
  if (rows.length > LISTED) {
    const rest = [
      ...ask.rotate,
      ...ask.offered,
      ...ask.takeOver.map((entry) => entry.secret),
      ...ask.approve.map((entry) => entry.secret),
    ].slice(LISTED, LISTED + 60);
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`…and ${rows.length - LISTED} more: ${names(rest)}`, LIMITS.sectionText) },
    });
  }
  const count = ask.rotate.length + ask.offered.length;
  return {
    text: `${leaver} ${cause ? 'changed role' : 'has left'}: ${count} secret${count === 1 ? '' : 's'} to rotate${ask.takeOver.length + ask.approve.length > 0 ? ', and open rotations to take over or approve' : ''}`,
    blocks,
  };
}

export interface DepartureSummary {
  leaver: string;
  /** What happened, when not a deactivation: "removed from roles.cto in the policy". */
  cause?: string | null;
  needs: readonly RotationNeed[];
  handedOver: readonly { secret: string; to: string }[];
  offered: readonly { secret: string; to: string | null }[];
  soleApprover: readonly SoleApprover[];
  rotationsHandedOver: number;
  approvalsReasked: number;
}

/** To security, once per departure: every secret marked, where ownership went, and what the policy now lacks. */
export function departureSecuritySummary(summary: DepartureSummary): SlackMessage {
  const first = summary.needs[0];
  const lines = [
    `:wave: ${mention(summary.leaver)} ${summary.cause ? `was ${escapeMrkdwn(summary.cause)}` : 'has left (deactivated in Slack)'}. ${summary.needs.length} secret${summary.needs.length === 1 ? '' : 's'} they owned, backed up or could read ${summary.needs.length === 1 ? 'is' : 'are'} marked *rotation needed (personnel change)*${first ? `, due by *${dueDayOf(first)}*` : ''}:`,
    truncate(summary.needs.map((need) => code(need.secretName)).join(', ') || 'none', 2000),
  ];
  if (summary.handedOver.length > 0)
    lines.push(
      `Ownership moved to the backup owner: ${summary.handedOver.map((entry) => `${code(entry.secret)} → ${mention(entry.to)}`).join(', ')}`,
    );
  if (summary.offered.length > 0)
    lines.push(
      `No backup owner, offered: ${summary.offered.map((entry) => `${code(entry.secret)} → ${entry.to ? mention(entry.to) : 'nobody (name an owner with `/secrets owner`)'}`).join(', ')}`,
    );
  if (summary.rotationsHandedOver + summary.approvalsReasked > 0) {
    lines.push(
      `Open rotations: ${summary.rotationsHandedOver} they held offered to the owners to take over, ${summary.approvalsReasked} waiting on their approval asked of the other approvers.`,
    );
  }
  for (const sole of summary.soleApprover) {
    lines.push(
      `:warning: They were the only ${escapeMrkdwn(sole.role)}: ${escapeMrkdwn(sole.environments.join(', '))} rotations cannot be approved until someone is added to \`${sole.policyKey}\` in the policy.`,
    );
  }
  return {
    text: `${summary.leaver} ${summary.cause ? 'changed role' : 'has left'}: ${summary.needs.length} secrets need rotating`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(lines.join('\n'), LIMITS.sectionText) } }],
  };
}
