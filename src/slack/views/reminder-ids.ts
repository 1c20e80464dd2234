/**
 * Action and callback ids of reminder messages, shared by the views that emit them and the
 * listeners that handle them.
 */
export const REMINDER_ACTION_IDS = {
  /** Buttons `reminder_snooze_1`, `_3`, `_7`; value: the ledger key of the reminder. */
  snoozePrefix: 'reminder_snooze_',
  /** Value: the ledger key of the reminder. */
  notMine: 'reminder_not_mine',
  /** Digest items: an overflow menu whose option values are `snooze:<days>|<key>` or `not_mine|<key>`. */
  digestItemMenu: 'reminder_item_menu',
} as const;

export const SNOOZE_ACTION_PATTERN = /^reminder_snooze_(\d+)$/;

export const REMINDER_CALLBACK_IDS = {
  notMine: 'reminder_not_mine_modal',
} as const;

export const NOT_MINE_BLOCKS = {
  rightOwner: 'not_mine_right_owner',
  note: 'not_mine_note',
} as const;
export const NOT_MINE_VALUE_ACTION = 'value';
