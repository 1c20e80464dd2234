import type { EscalationLevel } from '../config/policy.js';
import type { Secret } from '../inventory/secret.js';
import { dueDayOf, type RotationNeed } from '../rotation-needs/rotation-need.js';
import type { SkipReason } from './escalation-ladder.js';
import type { Treatment } from './reminder-treatment.js';

/**
 * What a reminder is about within one rotation cycle: `warning:<days before>`, `due`,
 * `overdue:<escalation step>` or `snooze:<1|2>` (the follow-up a snooze asked for).
 */
export type ReminderKind = `warning:${number}` | 'due' | `overdue:${number}` | `snooze:${number}`;

/** The ledger's unique key: a reminder is delivered at most once per secret, cycle and kind. */
export interface ReminderKey {
  secretId: number;
  /** The next-rotation date (YYYY-MM-DD) the reminder is about. */
  cycle: string;
  kind: ReminderKind;
}

export type LedgerState = 'claimed' | 'sent' | 'released';

export interface LedgerEntry extends ReminderKey {
  id: number;
  recipient: string;
  level: EscalationLevel;
  state: LedgerState;
  claimToken: string | null;
  claimedAt: string | null;
  attempts: number;
  channel: string | null;
  messageTs: string | null;
  sentAt: string | null;
  lastError: string | null;
}

export interface Snooze {
  secretId: number;
  cycle: string;
  seq: number;
  snoozedBy: string;
  untilDate: string;
}

/** Someone said a reminded secret is not theirs, in one cycle: they are reminded no more about it in that cycle. */
export interface NotMine {
  secretId: number;
  cycle: string;
  saidBy: string;
  /** Who they say owns it; the admins' DM offers to apply it. */
  suggestedOwner: string | null;
  /** When it was said (ISO instant). */
  at: string;
}

/** Which "not mine" answer a button acts on. */
export type NotMineRef = Pick<NotMine, 'secretId' | 'cycle' | 'saidBy'>;

/** What happened at one level of the escalation order in this cycle, for the escalation DM. */
export interface LevelHistory {
  level: EscalationLevel;
  /** Who fills the level, or null when nobody does. */
  user: string | null;
  skipped: SkipReason | null;
  /** Days (YYYY-MM-DD, UTC) Rotor reminded this person in this cycle, earliest first. */
  remindedOn: string[];
  /** The person snoozed their reminder until this day (the latest snooze), if they did. */
  snoozedUntil: string | null;
}

/** The fields of a secret the planner decides with: its treatment, ladder, cycle and order. */
export type ReminderSubject = Pick<Secret, 'id' | 'name' | 'lifecycle' | 'nextRotation' | 'updatedAt' | 'owner' | 'backupOwner' | 'team'>;

/**
 * What the sweep reads of a secret: the planner's fields and the few more a reminder message
 * shows. Not the whole row: most of a secret's 27 columns play no part in a reminder.
 */
export type ReminderSecret = ReminderSubject & Pick<Secret, 'environment' | 'lastRotated' | 'consumers'>;

/** One reminder the sweep owes now. */
export interface OwedReminder<S extends ReminderSubject = ReminderSecret> {
  key: ReminderKey;
  secret: S;
  treatment: Treatment;
  recipient: string;
  level: EscalationLevel;
  /** The instant it became deliverable: the trigger day at the policy's hour in the recipient's zone. */
  deliverAt: string;
  /** Whole days until the treatment's due date; negative when overdue. */
  daysUntilDue: number;
  /** The levels of the escalation order below the recipient's, in order, with what happened at each. */
  lowerLevels: LevelHistory[];
  /** Snoozes used this cycle (at most two). */
  snoozesUsed: number;
  /** The rotation need whose due date the reminder counts from, when it comes before the secret's own. */
  need: RotationNeed | null;
  /** False while a need no reminder may put off is open (a used break-glass credential). */
  snoozable: boolean;
}

/** The day a reminder counts from: its rotation need's when that came first, else its treatment's. */
export function reminderDueDate(reminder: Pick<OwedReminder, 'need' | 'treatment'>): string {
  return reminder.need ? dueDayOf(reminder.need) : reminder.treatment.dueDate;
}

/** The metadata string Slack keeps on each reminder message, to reconcile a send a crash interrupted. */
export function formatKey(key: ReminderKey): string {
  return `${key.secretId}/${key.cycle}/${key.kind}`;
}

export function parseKey(text: string): ReminderKey | null {
  const match = /^(\d+)\/(\d{4}-\d{2}-\d{2})\/((?:warning|overdue|snooze):\d+|due)$/.exec(text);
  if (!match) return null;
  return { secretId: Number(match[1]), cycle: match[2] as string, kind: match[3] as ReminderKind };
}

/** Metric label and plain-words name of a kind. */
export function kindLabel(kind: ReminderKind): string {
  if (kind === 'due') return 'due';
  const [family, n] = kind.split(':');
  if (family === 'warning') return `${n}d`;
  return family as string;
}

export const METADATA_EVENT_TYPE = 'rotor_reminder';

/** What a "not mine" report says, for the message that tells the admins. */
export interface NotMineFacts {
  actor: string;
  secret: string;
  level: EscalationLevel;
  suggestedOwner: string | null;
  /** Free text the person typed: the renderer escapes it. */
  note: string | null;
  /** The recorded answer, for the button that applies the suggested owner. */
  ref: NotMineRef;
}

/** The week in reminders, for the announcement channel. */
export interface WeeklyDigest {
  week: string;
  since: string;
  until: string;
  remindedByKind: Record<string, number>;
  overdue: { name: string; owner: string | null; daysOverdue: number }[];
  /** Compromised secrets not yet rotated, with the day each was marked. */
  compromised: { name: string; owner: string | null; markedOn: string }[];
  /** People reminded about a secret that is still overdue: they have not acted. */
  notActed: { user: string; secrets: string[] }[];
}
