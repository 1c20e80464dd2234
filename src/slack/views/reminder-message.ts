import type { KnownBlock } from '@slack/types';
import { DateTime } from 'luxon';
import type { EscalationLevel } from '../../config/policy.js';
import type { EarlierReminder, OwedReminder } from '../../reminders/reminder.js';
import { snoozeChoices } from '../../reminders/snooze-rules.js';
import { escapeMrkdwn } from './mrkdwn.js';
import { ACTION_IDS, encodeDigestChoice, snoozeActionId } from '../ids.js';
import type { SlackMessage } from './slack-message.js';

const LEVEL_NAMES: Record<EscalationLevel, string> = {
  owner: 'owner',
  backup_owner: 'backup owner',
  team_lead: 'team lead',
  security: 'security lead',
  cto: 'CTO',
};

export function headline(reminder: OwedReminder): string {
  const name = reminder.secret.name;
  const days = reminder.daysUntilDue;
  if (days > 0) return `${name} is due for rotation in ${days} day${days === 1 ? '' : 's'} (${reminder.secret.nextRotation})`;
  if (days === 0) return `${name} is due for rotation today (${reminder.secret.nextRotation})`;
  return `${name} is ${-days} day${days === -1 ? '' : 's'} overdue for rotation (was due ${reminder.secret.nextRotation})`;
}

function details(reminder: OwedReminder): string {
  const { secret } = reminder;
  const consumers = secret.consumers.length > 0 ? secret.consumers.map(escapeMrkdwn).join(', ') : 'none recorded';
  const lastRotated = secret.lastRotated ? (DateTime.fromISO(secret.lastRotated, { zone: 'utc' }).toISODate() as string) : 'never';
  return [
    `*Environment:* ${escapeMrkdwn(secret.environment)}`,
    `*Due:* ${secret.nextRotation}`,
    `*Consumers:* ${consumers}`,
    `*Last rotated:* ${lastRotated}`,
  ].join('\n');
}

function escalationNote(reminder: OwedReminder): string | null {
  if (!reminder.key.kind.startsWith('overdue:')) return null;
  const role = `You are receiving this as its ${LEVEL_NAMES[reminder.level]}.`;
  if (reminder.earlier.length === 0) return `${role} Nobody was reminded before in this cycle.`;
  return `${role} Reminded before: ${reminder.earlier.map(describeEarlier).join('; ')}.`;
}

function describeEarlier(earlier: EarlierReminder): string {
  return `<@${earlier.recipient}> (${LEVEL_NAMES[earlier.level]}) on ${DateTime.fromISO(earlier.sentAt, { zone: 'utc' }).toISODate() as string}`;
}

function today(reminder: OwedReminder): string {
  return DateTime.fromISO(reminder.secret.nextRotation, { zone: 'utc' }).minus({ days: reminder.daysUntilDue }).toISODate() as string;
}

/** One reminder DM: what is due, the facts needed to act, and Snooze / Not mine. */
export function buildReminderMessage(reminder: OwedReminder, key: string): SlackMessage {
  const title = reminder.key.kind.startsWith('overdue:') ? `Escalation: ${headline(reminder)}` : `Reminder: ${headline(reminder)}`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `:rotating_light: *${escapeMrkdwn(title)}*` } },
    { type: 'section', text: { type: 'mrkdwn', text: details(reminder) } },
  ];
  const note = escalationNote(reminder);
  if (note) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: note }] });
  const choices = snoozeChoices(reminder.key.kind, reminder.key.cycle, reminder.snoozesUsed, today(reminder));
  blocks.push({
    type: 'actions',
    block_id: 'reminder_actions',
    elements: [
      ...choices.map((days) => ({
        type: 'button' as const,
        action_id: snoozeActionId(days),
        text: { type: 'plain_text' as const, text: `Snooze ${days} day${days === 1 ? '' : 's'}` },
        value: key,
      })),
      { type: 'button' as const, action_id: ACTION_IDS.notMine, text: { type: 'plain_text' as const, text: 'Not mine' }, value: key },
    ],
  });
  return { text: title, blocks };
}

/** One DM listing many reminders for the same person, each with its own menu. */
export function buildReminderDigest(reminders: readonly OwedReminder[], keys: readonly string[]): SlackMessage {
  const text = `Reminder: ${reminders.length} secrets need rotating`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: `:rotating_light: *${text}*` } }];
  reminders.forEach((reminder, index) => {
    const key = keys[index] as string;
    const choices = snoozeChoices(reminder.key.kind, reminder.key.cycle, reminder.snoozesUsed, today(reminder));
    const options = [
      ...choices.map((days) => ({ text: { type: 'plain_text' as const, text: `Snooze ${days} day${days === 1 ? '' : 's'}` }, value: encodeDigestChoice({ snoozeDays: days, key }) })),
      { text: { type: 'plain_text' as const, text: 'Not mine' }, value: encodeDigestChoice({ snoozeDays: null, key }) },
    ];
    const note = escalationNote(reminder);
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*${escapeMrkdwn(headline(reminder))}*\n${details(reminder).replace(/\n/g, ' · ')}${note ? `\n_${note}_` : ''}` },
      accessory: { type: 'overflow', action_id: ACTION_IDS.digestItemMenu, options },
    });
  });
  return { text, blocks };
}

/** The announcement-channel fallback for a person whose DMs with the app are closed. */
export function buildChannelFallback(recipient: string, message: SlackMessage): SlackMessage {
  const mention = `<@${recipient}> (your DMs with Rotor are closed, so this is posted here)`;
  return {
    text: `<@${recipient}> ${message.text}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: mention } }, ...message.blocks.filter((block) => block.type !== 'actions')],
  };
}
