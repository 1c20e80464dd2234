import type { DateTime } from 'luxon';
import type { KnownBlock } from '@slack/types';
import type { Secret } from '../../inventory/secret.js';
import { LIMITS } from './block-kit-limits.js';
import { accessText, code, escapeMrkdwn } from './mrkdwn.js';
import type { ReviewFlag } from '../../reminders/recipient-directory-repo.js';
import type { SlackMessage } from './slack-message.js';
import { daysUntil } from '../../inventory/schedule.js';
import { dueDayOf, type RotationNeed } from '../../rotation-needs/rotation-need.js';
import { needCause, needLine } from './rotation-need-text.js';

export interface ReviewFindings {
  /** Secrets whose owner has left Slack (found by the reminder sweep). */
  ownerGone: readonly ReviewFlag[];
  unowned: readonly Pick<Secret, 'name'>[];
  withoutBackup: readonly Pick<Secret, 'name'>[];
  neverRotated: readonly Pick<Secret, 'name'>[];
  /** Due today or earlier; the review tells the two apart. */
  overdue: readonly Secret[];
  /** Open rotation needs: a person left or changed role, a release; break-glass uses are listed apart. */
  needs?: readonly RotationNeed[];
  /** Secrets others may read (an `access` list): the playbook's "review access permissions"; listed when given. */
  withReaders?: readonly Pick<Secret, 'name' | 'access'>[];
}

/** How a scheduled review titles itself and what it adds after the monthly checks (the quarterly audit). */
export interface ReviewMessageOptions {
  title?: string;
  extra?: readonly KnownBlock[];
}

/** Names per section before "and N more": keeps each section under 3,000 characters. */
const NAMES_PER_SECTION = 25;

function days(count: number): string {
  return `${count} day${count === 1 ? '' : 's'}`;
}

/** The monthly review from the playbooks: four findings, each a compact list of names. */
export function reviewMessage(findings: ReviewFindings, today: DateTime, options: ReviewMessageOptions = {}): SlackMessage {
  const title = options.title ?? 'Monthly secrets review';
  const section = <T extends { name: string }>(
    title: string,
    secrets: readonly T[],
    describe: (secret: T) => string = (secret) => code(secret.name),
  ): KnownBlock => {
    if (secrets.length === 0) return { type: 'section', text: { type: 'mrkdwn', text: `*${title}*: none :white_check_mark:` } };
    const shown = secrets.slice(0, NAMES_PER_SECTION).map(describe);
    const rest = secrets.length - shown.length;
    const text = `*${title}* (${secrets.length})\n${shown.join('\n')}${rest > 0 ? `\n…and ${rest} more` : ''}`;
    return { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, LIMITS.sectionText) } };
  };
  // A secret due today is not overdue yet: the day is its own to rotate in.
  const needs = findings.needs ?? [];
  const nowIso = today.toUTC().toISO() as string;
  const dueToday = findings.overdue.filter((secret) => daysUntil(secret.nextRotation, today) === 0);
  const pastDue = findings.overdue.filter((secret) => daysUntil(secret.nextRotation, today) < 0);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: title } },
    section(
      'Owner no longer in Slack',
      findings.ownerGone.map((flag) => ({ name: flag.secretName, detail: flag.detail })),
      (flag) => `${code(flag.name)}: ${escapeMrkdwn(flag.detail)}`,
    ),
    section('No owner', findings.unowned),
    section('No backup owner', findings.withoutBackup),
    section('Never rotated', findings.neverRotated),
    section('Overdue', pastDue, (secret) => `${code(secret.name)} (${days(-daysUntil(secret.nextRotation, today))})`),
    section('Due today', dueToday),
    section(
      'Break-glass credentials used, not yet rotated',
      needs.filter((need) => need.reason === 'break_glass_use').map((need) => ({ ...need, name: need.secretName })),
      (need) => `${code(need.name)}: ${needCause(need)}; rotate by ${dueDayOf(need)}${need.dueAt <= nowIso ? ' :red_circle: overdue' : ''}`,
    ),
    section(
      'Rotation needed',
      needs.filter((need) => need.reason !== 'break_glass_use').map((need) => ({ ...need, name: need.secretName })),
      (need) => `${code(need.name)}: ${needLine(need)}`,
    ),
    ...(findings.withReaders
      ? [
          section(
            'Readers to review (access lists)',
            findings.withReaders,
            (secret) => `${code(secret.name)}: ${accessText(secret.access, 10)}`,
          ),
        ]
      : []),
    ...(options.extra ?? []),
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: 'Fix owners with `/secrets owner &lt;name&gt; @person`; see overdue details with `/secrets overdue`.' },
      ],
    },
  ];
  const total =
    findings.ownerGone.length +
    findings.unowned.length +
    findings.withoutBackup.length +
    findings.neverRotated.length +
    findings.overdue.length +
    needs.length;
  return { text: `${title}: ${total} findings`, blocks };
}
