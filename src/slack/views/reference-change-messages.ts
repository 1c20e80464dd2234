import type { KnownBlock } from '@slack/types';
import type { ReferenceMove } from '../../inventory/reference-follow-ups.js';
import type { ReferenceRequest } from '../../inventory/reference-request-repo.js';
import { ACTION_IDS, encodeReferenceRequestRef } from '../ids.js';
import { button, context, section } from './blocks.js';
import { code, escapeMrkdwn, mention } from './mrkdwn.js';
import type { SlackMessage } from './slack-message.js';

/** `aws` `prod/app/db`, or just the provider for a manual secret. */
function where(to: ReferenceMove['to']): string {
  return to.providerRef ? `${code(to.provider)} ${code(to.providerRef)}` : code(to.provider);
}

/** What security is told of a reference change: old and new, who made it, and who asked and approved. */
export interface ReferenceChangedNotice extends Omit<ReferenceMove, 'from'> {
  /** Null for a new entry bound to a store secret. */
  from: ReferenceMove['from'] | null;
  by: string;
  source: string;
  requestedBy?: string;
}

export function referenceChangedMessage(change: ReferenceChangedNotice): SlackMessage {
  const asked = change.requestedBy
    ? `, asked by ${mention(change.requestedBy)} and approved by ${mention(change.by)}`
    : ` by ${mention(change.by)}`;
  const text = `Where ${change.secret} is stored changed`;
  const blocks: KnownBlock[] = [
    section(
      `:twisted_rightwards_arrows: *${code(change.secret)} now points at ${where(change.to)}* (${change.from ? `was ${where(change.from)}` : 'a new entry'})${asked}, from ${escapeMrkdwn(change.source)}.`,
    ),
    context(
      'Rotor rotates and revokes whatever this reference names from now on. If this move was not expected, check it: `rotor audit show` lists the change with its old and new reference.',
    ),
  ];
  return { text, blocks };
}

/** DM to a security lead: someone asks to move a secret's reference; Approve or Reject. */
export function referenceRequestMessage(request: ReferenceRequest): SlackMessage {
  const ref = encodeReferenceRequestRef(request.id);
  return {
    text: `Approval requested: move ${request.secret} to another store secret`,
    blocks: [
      section(
        `:twisted_rightwards_arrows: ${mention(request.requestedBy)} asks to point ${code(request.secret)} at ${where(request.to)} (now ${where(request.from)}).`,
      ),
      context(
        'The store already vouched for it: the reference resolves and Rotor can read it. Approve only if this is the store secret the entry should track: Rotor rotates and revokes what it names from then on.',
      ),
      {
        type: 'actions',
        elements: [
          button(ACTION_IDS.referenceApprove, 'Approve', ref, 'primary'),
          button(ACTION_IDS.referenceReject, 'Reject', ref, 'danger'),
        ],
      },
    ],
  };
}

/** The request DM once decided (replacing its buttons), and the asker's DM. */
export function referenceDecidedMessage(request: ReferenceRequest): SlackMessage {
  const verdict =
    request.state === 'approved'
      ? `:white_check_mark: ${code(request.secret)} now points at ${where(request.to)}: approved by ${mention(request.decidedBy)}.`
      : request.state === 'rejected'
        ? `:no_entry: Moving ${code(request.secret)} to ${where(request.to)} was rejected by ${mention(request.decidedBy)}; it still points at ${where(request.from)}.`
        : `Moving ${code(request.secret)} to ${where(request.to)} was withdrawn: ${escapeMrkdwn(request.endNote ?? 'a newer request replaced it')}.`;
  return { text: `Reference change of ${request.secret}: ${request.state}`, blocks: [section(verdict)] };
}
