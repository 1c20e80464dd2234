import type { KnownBlock } from '@slack/types';
import { DateTime } from 'luxon';
import type { EscalationLevel } from '../../config/policy.js';
import { reminderDueDate, type LevelHistory, type OwedReminder } from '../../reminders/reminder.js';
import { snoozeChoices } from '../../reminders/snooze-rules.js';
import { LIMITS } from './block-kit-limits.js';
import { channelOrText, code, escapeMrkdwn, mention, truncate } from './mrkdwn.js';
import { ACTION_IDS, encodeDigestChoice, snoozeActionId } from '../ids.js';
import { needLine } from './rotation-need-text.js';
import type { SlackMessage } from './slack-message.js';

const LEVEL_NAMES: Readonly<Record<string, string>> = {
  owner: 'owner',
  backup_owner: 'backup owner',
  team_lead: 'team lead',
  security: 'security lead',
  cto: 'CTO',
};

/** A level in words: a built-in one as people say it, a role the policy defines by its name (oncall_primary: oncall primary). */
function levelName(level: EscalationLevel): string {
  return LEVEL_NAMES[level] ?? level.replaceAll('_', ' ');
}

export function headline(reminder: OwedReminder): string {
  const name = reminder.secret.name;
  const days = reminder.daysUntilDue;
  if (reminder.treatment.kind === 'compromised')
    return `${name} was marked compromised on ${reminder.treatment.markedOn} and must be rotated now`;
  const due = reminderDueDate(reminder);
  if (days > 0) return `${name} is due for rotation in ${days} day${days === 1 ? '' : 's'} (${due})`;
  if (days === 0) return `${name} is due for rotation today (${due})`;
  return `${name} is ${-days} day${days === -1 ? '' : 's'} overdue for rotation (was due ${due})`;
}

function details(reminder: OwedReminder): string {
  const { secret } = reminder;
  const consumers = secret.consumers.length > 0 ? secret.consumers.map(channelOrText).join(', ') : 'none recorded';
  const lastRotated = secret.lastRotated ? (DateTime.fromISO(secret.lastRotated, { zone: 'utc' }).toISODate() as string) : 'never';
  return [
    ...(reminder.need ? [`:warning: ${needLine(reminder.need)}${reminder.snoozable ? '' : ' (cannot be snoozed)'}`] : []),
    `*Environment:* ${escapeMrkdwn(secret.environment)}`,
    `*Due:* ${reminderDueDate(reminder)}`,
    `*Consumers:* ${consumers}`,
    `*Last rotated:* ${lastRotated}`,
  ].join('\n');
}

/** For a secret being rotated: who is rotating it, and where to see the rotation. */
function rotatingNote(reminder: OwedReminder): string | null {
  const { treatment } = reminder;
  if (treatment.kind !== 'rotating') return null;
  const who = treatment.heldBy ? `${mention(treatment.heldBy)} is rotating it now` : 'A rotation of it is under way';
  return `:arrows_counterclockwise: ${who}; \`/rotate ${escapeMrkdwn(reminder.secret.name)}\` shows where it stands.`;
}

/** The button (or menu option) text that opens the secret's rotation: a new one, or the one under way. */
function rotateLabel(reminder: OwedReminder): string {
  return reminder.treatment.kind === 'rotating' ? 'Open the rotation' : 'Start rotation';
}

function isEscalation(reminder: OwedReminder): boolean {
  return reminder.key.kind.startsWith('overdue:') || reminder.lowerLevels.length > 0;
}

/** Who owns the secret, and what happened at each level below the recipient's in this cycle. */
function escalationNote(reminder: OwedReminder): string | null {
  if (!isEscalation(reminder)) return null;
  const person = (user: string | null) => (user ? `<@${user}>` : 'none');
  const owners = `Owner: ${person(reminder.secret.owner)}; backup owner: ${person(reminder.secret.backupOwner)}.`;
  const history = reminder.lowerLevels.filter((level) => level.skipped !== 'same_person').map(describeLevel);
  const sofar = history.length > 0 ? ` So far: ${history.join('; ')}.` : '';
  return `You are receiving this as its ${levelName(reminder.level)}. ${owners}${sofar}`;
}

function describeLevel(level: LevelHistory): string {
  const name = levelName(level.level);
  if (level.skipped === 'unfilled' || level.user === null) return `${name}: none set`;
  if (level.skipped === 'not_in_slack') return `${name} <@${level.user}> is no longer in Slack, skipped`;
  if (level.skipped === 'said_not_mine')
    return `${name} <@${level.user}> said it is not theirs${level.remindedOn.length > 0 ? ` (reminded on ${level.remindedOn.join(', ')})` : ''}`;
  const reminded = level.remindedOn.length > 0 ? `reminded on ${level.remindedOn.join(', ')}` : 'not reached';
  return `${name} <@${level.user}> ${reminded}${level.snoozedUntil ? `, snoozed until ${level.snoozedUntil}` : ''}`;
}

function today(reminder: OwedReminder): string {
  return DateTime.fromISO(reminderDueDate(reminder), { zone: 'utc' }).minus({ days: reminder.daysUntilDue }).toISODate() as string;
}

/** Snooze lengths the reminder offers: none while a need that cannot wait is open (a used break-glass credential). */
function snoozesOf(reminder: OwedReminder): number[] {
  if (!reminder.snoozable) return [];
  return snoozeChoices(reminder.key.kind, reminder.key.cycle, reminder.snoozesUsed, today(reminder), reminderDueDate(reminder));
}

/** One reminder DM: what is due, the facts needed to act, and Snooze / Not mine. */
export function buildReminderMessage(reminder: OwedReminder, key: string): SlackMessage {
  const title = `${isEscalation(reminder) ? 'Escalation' : reminder.treatment.kind === 'compromised' ? 'Compromised' : 'Reminder'}: ${headline(reminder)}`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `:rotating_light: *${escapeMrkdwn(title)}*` } },
    { type: 'section', text: { type: 'mrkdwn', text: details(reminder) } },
  ];
  const rotating = rotatingNote(reminder);
  if (rotating) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: rotating }] });
  const note = escalationNote(reminder);
  if (note) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: note }] });
  const choices = snoozesOf(reminder);
  blocks.push({
    type: 'actions',
    block_id: 'reminder_actions',
    elements: [
      {
        type: 'button' as const,
        action_id: ACTION_IDS.rotationOpen,
        style: 'primary' as const,
        text: { type: 'plain_text' as const, text: rotateLabel(reminder) },
        value: reminder.secret.name,
      },
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

/** Items of a digest shown with their own menu: with the title and the summary, well inside 50 blocks. */
const DIGEST_LISTED = LIMITS.messageBlocks - 10;

/** A digest row's facts on one line: when it is due, where it lives, when it was last rotated. */
function compactRow(reminder: OwedReminder): string {
  const { secret, treatment } = reminder;
  const days = reminder.daysUntilDue;
  const dueDate = reminderDueDate(reminder);
  const due =
    treatment.kind === 'compromised'
      ? `marked compromised on ${treatment.markedOn}`
      : days > 0
        ? `due in ${days} day${days === 1 ? '' : 's'} (${dueDate})`
        : days === 0
          ? `due today (${dueDate})`
          : `${-days} day${days === -1 ? '' : 's'} overdue (due ${dueDate})`;
  const lastRotated = secret.lastRotated ? (DateTime.fromISO(secret.lastRotated, { zone: 'utc' }).toISODate() as string) : 'never';
  const need = reminder.need ? `\n:warning: ${needLine(reminder.need)}` : '';
  return `${code(secret.name)} · ${due} · ${escapeMrkdwn(secret.environment)} · last rotated ${lastRotated}${need}`;
}

/**
 * One DM listing every reminder owed to a person in a sweep, most urgent first, as a compact
 * list: one line per secret with its own menu, and what the rows share (why this person gets
 * them, who owns them) said once above them rather than under each. The first DIGEST_LISTED
 * are listed, the rest summarized by name with a pointer to `/secrets overdue`. The message
 * metadata carries every key either way.
 */
export function buildReminderDigest(reminders: readonly OwedReminder[], keys: readonly string[]): SlackMessage {
  const escalations = reminders.filter(isEscalation).length;
  const text = `${escalations > 0 ? 'Escalation' : 'Reminder'}: ${reminders.length} secrets need rotating`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: `:rotating_light: *${text}*` } }];
  const listed = reminders.slice(0, DIGEST_LISTED);
  const notes = listed.map(escalationNote);
  const shared = notes.length > 1 && notes[0] !== null && notes.every((note) => note === notes[0]) ? notes[0] : null;
  if (shared)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncate(`For every secret below: ${shared}`, LIMITS.sectionText) }],
    });
  listed.forEach((reminder, index) => {
    const key = keys[index] as string;
    const choices = snoozesOf(reminder);
    // An overflow menu holds five options: the rotation, up to three snoozes, Not mine.
    const options = [
      { text: { type: 'plain_text' as const, text: rotateLabel(reminder) }, value: encodeDigestChoice({ kind: 'rotate', key }) },
      ...choices.map((days) => ({
        text: { type: 'plain_text' as const, text: `Snooze ${days} day${days === 1 ? '' : 's'}` },
        value: encodeDigestChoice({ kind: 'snooze', days, key }),
      })),
      { text: { type: 'plain_text' as const, text: 'Not mine' }, value: encodeDigestChoice({ kind: 'not_mine', key }) },
    ];
    const note = shared ? null : notes[index];
    const rotating = rotatingNote(reminder);
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(`${compactRow(reminder)}${rotating ? `\n${rotating}` : ''}${note ? `\n_${note}_` : ''}`, LIMITS.sectionText),
      },
      accessory: { type: 'overflow', action_id: ACTION_IDS.digestItemMenu, options },
    });
  });
  const rest = reminders.slice(DIGEST_LISTED);
  if (rest.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: summarize(rest) } });
  return { text, blocks };
}

/** The reminders a digest does not list one by one, by name, within one section. */
function summarize(rest: readonly OwedReminder[]): string {
  const opening = `…and ${rest.length} more. Type \`/secrets overdue\` for the full list (and \`/secrets show &lt;name&gt;\` for one secret): `;
  const names: string[] = [];
  let length = opening.length;
  for (const reminder of rest) {
    const name = escapeMrkdwn(reminder.secret.name);
    // Room for the closing "and N others." that follows a cut list.
    if (length + name.length + 2 > LIMITS.sectionText - 40) break;
    names.push(name);
    length += name.length + 2;
  }
  const others = rest.length - names.length;
  return `${opening}${names.join(', ')}${others > 0 ? ` and ${others} others.` : '.'}`;
}

/** The announcement-channel fallback for a person whose DMs with the app are closed. */
export function buildChannelFallback(recipient: string, message: SlackMessage): SlackMessage {
  const mention = `<@${recipient}> (your DMs with Rotor are closed, so this is posted here)`;
  return {
    text: `<@${recipient}> ${message.text}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: mention } }, ...message.blocks.filter((block) => block.type !== 'actions')],
  };
}
