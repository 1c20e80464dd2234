import type { DateTime } from 'luxon';
import type { SectionBlock } from '@slack/types';
import { daysUntil, deriveStatus } from '../../inventory/schedule.js';
import type { Secret, SecretStatus } from '../../inventory/secret.js';
import { code, escapeMrkdwn, escapeWithin, mention } from './mrkdwn.js';

const STATUS_LABELS: Record<SecretStatus, string> = {
  active: ':large_green_circle: active',
  due_soon: ':large_yellow_circle: due soon',
  overdue: ':red_circle: overdue',
  rotating: ':arrows_counterclockwise: rotating',
  compromised: ':rotating_light: compromised',
  retired: ':white_circle: retired',
};

export function statusLabel(status: SecretStatus): string {
  return STATUS_LABELS[status];
}

/** "overdue by 12 days", "due today", "due in 5 days". */
export function describeDue(nextRotation: string, today: DateTime): string {
  const days = daysUntil(nextRotation, today);
  if (days < 0) return `overdue by ${-days} day${days === -1 ? '' : 's'} (due ${nextRotation})`;
  if (days === 0) return `due today (${nextRotation})`;
  return `due in ${days} day${days === 1 ? '' : 's'} (${nextRotation})`;
}

/** One secret as a list row: name, status, due date, owners. Every stored string is escaped. */
export function secretRowBlock(secret: Secret, today: DateTime, dueSoonDays: number): SectionBlock {
  const status = deriveStatus(secret.lifecycle, secret.nextRotation, today, dueSoonDays);
  const due = describeDue(secret.nextRotation, today);
  const lines = [
    `${code(secret.name)}  ${status === 'overdue' ? `:red_circle: ${due}` : `${statusLabel(status)}, ${due}`}`,
    `Owner ${mention(secret.owner)} · backup ${mention(secret.backupOwner)}${secret.team ? ` · team ${escapeMrkdwn(secret.team)}` : ''}`,
  ];
  if (secret.description) lines.push(`_${escapeWithin(secret.description, 300)}_`);
  return { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } };
}
