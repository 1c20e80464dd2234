import type { KnownBlock } from '@slack/types';
import { ACTION_IDS } from '../ids.js';
import type { NotMineFacts } from '../../reminders/reminder.js';
import type { SlackMessage } from './slack-message.js';
import { code, escapeMrkdwn, mention } from './mrkdwn.js';

export interface SnoozeOutcome {
  secret: string;
  until: string;
  snoozesLeft: number;
}

function snoozedLine(outcome: SnoozeOutcome, actor: string): string {
  const left = outcome.snoozesLeft === 0 ? 'no snoozes left this cycle' : `${outcome.snoozesLeft} snooze${outcome.snoozesLeft === 1 ? '' : 's'} left this cycle`;
  return `:zzz: Snoozed by ${mention(actor)} until ${outcome.until}: the reminder comes back that day (${left}).`;
}

/**
 * The reminder DM after a snooze: its facts stay, its buttons go (a second click would snooze
 * again), and a line says until when. `original` is the message's blocks as Slack echoed them.
 */
export function snoozedReminderMessage(original: readonly KnownBlock[], outcome: SnoozeOutcome, actor: string): SlackMessage {
  // The snooze buttons go; Start rotation stays, since the secret still needs rotating.
  const kept = original.flatMap((block): KnownBlock[] => {
    if (block.type !== 'actions') return [block];
    const elements = block.elements.filter((element) => 'action_id' in element && element.action_id === ACTION_IDS.rotationOpen);
    return elements.length > 0 ? [{ ...block, elements }] : [];
  });
  return {
    text: `${outcome.secret}: reminder snoozed until ${outcome.until}`,
    blocks: [...kept, { type: 'context', elements: [{ type: 'mrkdwn', text: snoozedLine(outcome, actor) }] }],
  };
}

/** Ephemeral answer to a snooze chosen from a digest's item menu (the digest stays as it is). */
export function snoozedDigestItemReply(outcome: SnoozeOutcome, actor: string): SlackMessage {
  const text = `${code(outcome.secret)}: ${snoozedLine(outcome, actor)}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** DM to the person who said "not mine", once the admins and security leads were told. */
export function notMineConfirmation(secret: string, notified: readonly string[]): SlackMessage {
  const who = notified.length > 0 ? notified.map((id) => mention(id)).join(', ') : 'nobody could be reached; the report is in the audit log';
  const text = `:ok_hand: Thanks. I told Rotor's admins and security leads that ${code(secret)} is not yours (${who}). They will set the right owner.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** What the admins and security leads are told when someone says a reminded secret is not theirs. */
export function notMineReportMessage(facts: NotMineFacts): SlackMessage {
  const suggestion = facts.suggestedOwner ? ` They say the owner is ${mention(facts.suggestedOwner)}.` : ' They do not know who owns it.';
  const note = facts.note ? ` Note: “${escapeMrkdwn(facts.note)}”.` : '';
  const text = `${mention(facts.actor)} says *${facts.secret}* is not theirs (reminded as its ${facts.level.replace('_', ' ')}).${suggestion}${note} Set the owner with \`/secrets owner ${facts.secret} @user\`.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
