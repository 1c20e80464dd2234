import { ValidationError } from '../core/errors.js';

/**
 * Every Slack id Rotor emits or listens for, shared by the view that emits it and the listener
 * that handles it: renaming one here renames both sides. Ids that carry a value come with the
 * pair of functions that encode it (views) and decode it (listeners); a value that does not
 * decode is a button from an older Rotor or a forged payload, and is refused with a message.
 */
export const COMMANDS = {
  rotate: '/rotate',
  secrets: '/secrets',
  revoke: '/revoke',
} as const;
export type CommandName = (typeof COMMANDS)[keyof typeof COMMANDS];

export const ACTION_IDS = {
  /** "More" under a paginated list; value: the list query (encodeListQuery in secret-list-query.ts). */
  listMore: 'secrets_list_more',
  /** Reminder DM buttons `reminder_snooze_1`, `_3`, `_7`; value: the reminder's ledger key. */
  snoozePrefix: 'reminder_snooze_',
  /** Reminder DM button; value: the reminder's ledger key. */
  notMine: 'reminder_not_mine',
  /** A digest item's overflow menu; option values: encodeDigestChoice. */
  digestItemMenu: 'reminder_item_menu',
} as const;

/** The snooze buttons' action ids; the number of days is part of the id. */
export const SNOOZE_ACTION_PATTERN = /^reminder_snooze_(\d+)$/;

export function snoozeActionId(days: number): string {
  return `${ACTION_IDS.snoozePrefix}${days}`;
}

export function snoozeDaysOf(actionId: string): number {
  const days = SNOOZE_ACTION_PATTERN.exec(actionId)?.[1];
  if (!days) throw new ValidationError('That snooze button is not one Rotor offers; open the reminder again.', []);
  return Number(days);
}

export const CALLBACK_IDS = {
  addSecret: 'secret_add_modal',
  editSecret: 'secret_edit_modal',
  notMine: 'reminder_not_mine_modal',
} as const;

/** Input blocks of the add/edit modal; each block holds one element whose action_id is `value`. */
export const SECRET_FORM_BLOCKS = {
  name: 'secret_name',
  type: 'secret_type',
  description: 'secret_description',
  owner: 'secret_owner',
  backupOwner: 'secret_backup_owner',
  team: 'secret_team',
  provider: 'secret_provider',
  providerRef: 'secret_provider_ref',
  intervalDays: 'secret_interval_days',
  retrievalInstructions: 'secret_retrieval',
} as const;

export const NOT_MINE_BLOCKS = {
  rightOwner: 'not_mine_right_owner',
  note: 'not_mine_note',
} as const;

/** The action_id of every modal input element: one input per block, so the block id names the field. */
export const FORM_VALUE_ACTION = 'value';

/** A digest item's menu choice: snooze that reminder for some days, or say it is not mine. */
export type DigestChoice = { snoozeDays: number; key: string } | { snoozeDays: null; key: string };

export function encodeDigestChoice(choice: DigestChoice): string {
  return choice.snoozeDays === null ? `not_mine|${choice.key}` : `snooze:${choice.snoozeDays}|${choice.key}`;
}

export function decodeDigestChoice(value: string): DigestChoice {
  const bar = value.indexOf('|');
  const choice = value.slice(0, bar);
  const key = value.slice(bar + 1);
  if (bar > 0 && choice === 'not_mine') return { snoozeDays: null, key };
  const days = /^snooze:(\d+)$/.exec(choice)?.[1];
  if (bar > 0 && days) return { snoozeDays: Number(days), key };
  throw new ValidationError('That menu choice is not one Rotor offers; open the reminder again.', []);
}

/** What a modal carries between opening and submission in `private_metadata` (Slack echoes it back). */
function encodeMetadata(value: Record<string, string>): string {
  return JSON.stringify(value);
}

function decodeMetadata<K extends string>(text: string, keys: readonly K[]): Record<K, string> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const record = parsed as Record<string, unknown>;
  return keys.every((key) => typeof record[key] === 'string') ? (record as Record<K, string>) : null;
}

/** The edit form's metadata: the secret it edits. */
export function encodeSecretFormMetadata(name: string): string {
  return encodeMetadata({ name });
}

export function decodeSecretFormMetadata(text: string): { name: string } {
  const decoded = decodeMetadata(text, ['name']);
  if (!decoded) throw new ValidationError('This form is missing the secret it edits; run `/secrets edit <name>` again.', []);
  return decoded;
}

/** The Not-mine modal's metadata: the ledger key of the reminder it answers. */
export function encodeNotMineMetadata(key: string): string {
  return encodeMetadata({ key });
}

export function decodeNotMineMetadata(text: string): { key: string } {
  const decoded = decodeMetadata(text, ['key']);
  if (!decoded) throw new ValidationError('This form lost the reminder it answers; press Not mine on the reminder again.', []);
  return decoded;
}
