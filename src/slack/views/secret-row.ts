import type { DateTime } from 'luxon';
import type { SectionBlock } from '@slack/types';
import { daysUntil, deriveStatus, type WarningWindow } from '../../inventory/schedule.js';
import type { Secret, SecretStatus } from '../../inventory/secret.js';
import { earliestNeed, effectiveDueDay, type RotationNeed } from '../../rotation-needs/rotation-need.js';
import { ACTION_IDS } from '../ids.js';
import { code, escapeMrkdwn, escapeWithin, mention } from './mrkdwn.js';
import { needLine } from './rotation-need-text.js';

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

/**
 * One secret as a list row: name, status, due date, owners. Every stored string is escaped.
 * With `rotateButton`, a live secret's row carries *Start rotation* (*Open the rotation* while
 * one is under way); a retired or compromised one gets none (a compromised secret is rotated by
 * its incident). With the secret's open rotation needs, the earliest (when it comes before the
 * secret's own date) sets the date shown, and a line says why.
 */
export function secretRowBlock(
  secret: Secret,
  today: DateTime,
  dueSoonDays: WarningWindow,
  options: { rotateButton?: boolean; needs?: readonly RotationNeed[] } = {},
): SectionBlock {
  const needs = options.needs ?? [];
  const dueDay = effectiveDueDay(secret.nextRotation, needs);
  const status = deriveStatus(secret.lifecycle, dueDay, today, dueSoonDays, secret.intervalDays);
  const due = describeDue(dueDay, today);
  const lines = [
    `${code(secret.name)}  ${status === 'overdue' ? `:red_circle: ${due}` : `${statusLabel(status)}, ${due}`}`,
    `Owner ${mention(secret.owner)} · backup ${mention(secret.backupOwner)}${secret.team ? ` · team ${escapeMrkdwn(secret.team)}` : ''}`,
  ];
  const need = earliestNeed(needs);
  if (need) lines.push(`:warning: ${needLine(need)}`);
  if (secret.description) lines.push(`_${escapeWithin(secret.description, 300)}_`);
  const block: SectionBlock = { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } };
  if (options.rotateButton && (secret.lifecycle === 'active' || secret.lifecycle === 'rotating')) {
    block.accessory = {
      type: 'button',
      action_id: ACTION_IDS.rotationOpen,
      text: { type: 'plain_text', text: secret.lifecycle === 'rotating' ? 'Open the rotation' : 'Start rotation' },
      value: secret.name,
    };
  }
  return block;
}
