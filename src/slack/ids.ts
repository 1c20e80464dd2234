/**
 * Every Slack id Rotor emits or listens for, shared by the view that emits it and the listener
 * that handles it. Renaming one here renames both sides.
 */
export const COMMANDS = {
  rotate: '/rotate',
  secrets: '/secrets',
  revoke: '/revoke',
} as const;
export type CommandName = (typeof COMMANDS)[keyof typeof COMMANDS];

export const ACTION_IDS = {
  /** "More" under a paginated list; value carries the query and the next page. */
  listMore: 'secrets_list_more',
} as const;

export const CALLBACK_IDS = {
  addSecret: 'secret_add_modal',
  editSecret: 'secret_edit_modal',
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
export const FORM_VALUE_ACTION = 'value';
