import type { KnownBlock } from '@slack/types';
import type { SuggestedOwnerApplied } from '../../reminders/reminder-actions-service.js';
import type { NotMine, NotMineFacts } from '../../reminders/reminder.js';
import { ACTION_IDS, encodeNotMineRef } from '../ids.js';
import type { SlackMessage } from './slack-message.js';
import { code, escapeMrkdwn, mention } from './mrkdwn.js';

export interface SnoozeOutcome {
  secret: string;
  until: string;
  snoozesLeft: number;
}

function snoozedLine(outcome: SnoozeOutcome, actor: string): string {
  const left =
    outcome.snoozesLeft === 0
      ? 'no snoozes left this cycle'
      : `${outcome.snoozesLeft} snooze${outcome.snoozesLeft === 1 ? '' : 's'} left this cycle`;
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

/**
 * DM to the person who said "not mine": whom the admins were told, or, for a repeat, that
 * nobody was told again. Either way they hear no more about it this cycle.
 */
export function notMineConfirmation(secret: string, notified: readonly string[], earlier: NotMine | null): SlackMessage {
  const quiet = 'You get no more reminders about it until it is rotated.';
  let text: string;
  if (earlier) {
    text = `:information_source: You already told Rotor's admins on ${earlier.at.slice(0, 10)} that ${code(secret)} is not yours, so I did not tell them again. ${quiet}`;
  } else {
    const who =
      notified.length > 0 ? notified.map((id) => mention(id)).join(', ') : 'nobody could be reached; the report is in the audit log';
    text = `:ok_hand: Thanks. I told Rotor's admins and security leads that ${code(secret)} is not yours (${who}). They will set the right owner. ${quiet}`;
  }
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/**
 * What the admins and security leads are told when someone says a reminded secret is not
 * theirs; with a suggested owner, a button applies it.
 */
export function notMineReportMessage(facts: NotMineFacts): SlackMessage {
  const suggestion = facts.suggestedOwner ? ` They say the owner is ${mention(facts.suggestedOwner)}.` : ' They do not know who owns it.';
  const note = facts.note ? ` Note: “${escapeMrkdwn(facts.note)}”.` : '';
  const how = facts.suggestedOwner
    ? `Make them the owner with the button, or set someone else with \`/secrets owner ${facts.secret} @user\`.`
    : `Set the owner with \`/secrets owner ${facts.secret} @user\`.`;
  const text = `${mention(facts.actor)} says *${facts.secret}* is not theirs (reminded as its ${facts.level.replace('_', ' ')}).${suggestion}${note} ${how}`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  if (facts.suggestedOwner) {
    blocks.push({
      type: 'actions',
      block_id: 'not_mine_report',
      elements: [
        {
          type: 'button',
          action_id: ACTION_IDS.notMineApplyOwner,
          style: 'primary',
          text: { type: 'plain_text', text: 'Make them the owner' },
          value: encodeNotMineRef(facts.ref),
        },
      ],
    });
  }
  return { text, blocks };
}

/** The admins' DM once someone pressed the button: its facts stay, the button goes, a line says what happened. */
export function suggestedOwnerAppliedMessage(original: readonly KnownBlock[], outcome: SuggestedOwnerApplied, actor: string): SlackMessage {
  const kept = original.filter((block) => block.type !== 'actions');
  let line: string;
  if (!outcome.changed) line = `:information_source: ${mention(outcome.owner)} already owns ${code(outcome.secret)}; nothing changed.`;
  else {
    const told = outcome.told?.ok
      ? 'They were told by DM.'
      : `But I could not DM them: ${escapeMrkdwn(outcome.told?.why ?? 'unknown reason')}.`;
    line = `:white_check_mark: ${mention(actor)} made ${mention(outcome.owner)} the owner of ${code(outcome.secret)}. ${told}`;
  }
  return {
    text: `${outcome.secret}: owner ${outcome.changed ? 'set' : 'unchanged'}`,
    blocks: [...kept, { type: 'context', elements: [{ type: 'mrkdwn', text: line }] }],
  };
}
