import { ValidationError } from '../core/errors.js';
import type { NotMineRef } from '../reminders/reminder.js';

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

/** Rotor's Workflow Builder steps: manifest.yml's `functions`, by callback id. */
export const FUNCTIONS = {
  rotateSecret: 'rotate_secret',
  secretStatus: 'secret_status',
  reportCompromisedSecret: 'report_compromised_secret',
} as const;
export type FunctionCallbackId = (typeof FUNCTIONS)[keyof typeof FUNCTIONS];

export const ACTION_IDS = {
  /** "More" under a paginated list; value: the list query (encodeListQuery in secret-list-query.ts). */
  listMore: 'secrets_list_more',
  /** Reminder DM buttons `reminder_snooze_1`, `_3`, `_7`; value: the reminder's ledger key. */
  snoozePrefix: 'reminder_snooze_',
  /** Reminder DM button; value: the reminder's ledger key. */
  notMine: 'reminder_not_mine',
  /** On the admins' "not mine" DM: applies the suggested owner; value: encodeNotMineRef. */
  notMineApplyOwner: 'reminder_not_mine_apply_owner',
  /** A digest item's overflow menu (snooze, not mine, start rotation); option values: encodeDigestChoice. */
  digestItemMenu: 'reminder_item_menu',
  /** Start rotation / Open the rotation (on a reminder, the App Home, a DM); value: the secret's name. */
  rotationOpen: 'rotation_open',
  /** On the requester's DM from a *Rotate secret* workflow step (function-scoped): opens the rotation; value: the secret's name. */
  workflowRotationOpen: 'workflow_rotation_open',
  /** On the incident channel post from a *Report a compromised secret* step (function-scoped): opens the /revoke confirmation; value: the secret's name. */
  workflowRevocationOpen: 'workflow_revocation_open',
  /** In the `/rotate` picker: the secret chosen; option values: encodePickedSecret. */
  rotationPick: 'rotation_pick',
  /** In the rotation modal (whose metadata names the rotation and its version); value: the step id. */
  rotationRunStep: 'rotation_run_step',
  rotationTickStep: 'rotation_tick_step',
  rotationNoteStep: 'rotation_note_step',
  rotationSkipStep: 'rotation_skip_step',
  /** On Rotor's current step at the target: a person did it by hand instead, saying what they did; value: the step id. */
  rotationByHandStep: 'rotation_by_hand_step',
  /** On a step whose automated checks failed: keep the new version and record why (the step is skipped with that reason); value: the step id. */
  rotationRollForward: 'rotation_roll_forward',
  rotationComplete: 'rotation_complete',
  rotationAbandon: 'rotation_abandon',
  /** Shown once Abandon could not clean up at the provider: abandon, saying it was cleaned up by hand. */
  rotationAbandonByHand: 'rotation_abandon_by_hand',
  /** On a step left running past its lease: ask the store what became of it; value: the step id. */
  rotationCheckStep: 'rotation_check_step',
  rotationTakeOver: 'rotation_take_over',
  rotationRefresh: 'rotation_refresh',
  /** Value: encodeRotationRef of the completed rotation. */
  rotationRollback: 'rotation_rollback',
  rotationCheckRollback: 'rotation_check_rollback',
  /** In the rotation modal: opens the planned-window form; value: encodeRotationRef. */
  rotationPlanWindow: 'rotation_plan_window',
  /** In the rotation modal, for an approver: asks the reason to override the planned window; value: encodeRotationRef. */
  rotationOverrideWindow: 'rotation_override_window',
  /** Under `/rotate <key>`'s offer of a plan: starts it; value: the registry key (`db/app-primary`). */
  planStart: 'rotation_plan_start',
  /** Approval request DM buttons; value: encodeRotationRef. */
  rotationApprove: 'rotation_approve',
  rotationReject: 'rotation_reject',
  /** End-of-retention DM button; value: encodeRotationRef. */
  rotationRemovePrevious: 'rotation_remove_previous',
  /** Page DM button; value: encodeIncidentRef. */
  incidentAcknowledge: 'incident_acknowledge',
  /** Status message and status request DM: opens the update form; value: encodeIncidentRef. */
  incidentStatusUpdate: 'incident_status_update',
  /** Status message: opens the close form; value: encodeIncidentRef. */
  incidentClose: 'incident_close',
  /** Status message, next to a failed step: runs it again; value: encodeIncidentRef. */
  incidentRetry: 'incident_retry',
  /** Sign-off DM to security and the status message; value: encodeIncidentRef. */
  incidentSignOff: 'incident_sign_off',
  /** A security lead's DM about a requested change of where a secret is stored; value: encodeReferenceRequestRef. */
  referenceApprove: 'reference_change_approve',
  referenceReject: 'reference_change_reject',
  /** An owner's access-review DM, per secret: the readers stand / change them; value: encodeAccessReviewRef. */
  accessReviewConfirm: 'access_review_confirm',
  accessReviewChange: 'access_review_change',
} as const;

export function encodeAccessReviewRef(itemId: number): string {
  return `access-review:${itemId}`;
}

export function decodeAccessReviewRef(value: string): number {
  const match = /^access-review:(\d{1,12})$/.exec(value);
  if (!match)
    throw new ValidationError('That button is not one Rotor offers for an access review; see the review with `rotor reviews list`.', []);
  return Number(match[1]);
}

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
  /** The rotation modal in every state (loading, start, the checklist); metadata: encodeRotationMetadata. */
  rotation: 'rotation_modal',
  /** Asks for a note or a reason (skip, abandon, reject, roll back); metadata: encodeReasonMetadata. */
  rotationReason: 'rotation_reason_modal',
  /** Plans a rotation's window (start, duration, impact); metadata: encodeWindowMetadata. */
  rotationWindow: 'rotation_window_modal',
  /** `/revoke`'s confirmation (also its loading and outcome states); metadata: encodeRevokeMetadata. */
  revokeConfirm: 'revoke_confirm_modal',
  /** A status update for an incident; metadata: encodeIncidentRef. */
  incidentStatusUpdate: 'incident_status_update_modal',
  /** Closing an incident with its postmortem link; metadata: encodeIncidentRef. */
  incidentClose: 'incident_close_modal',
} as const;

/** Input blocks of the revocation confirmation; each holds one element whose action_id is `value`. */
export const REVOKE_BLOCKS = {
  reason: 'revoke_reason',
  severity: 'revoke_severity',
  ticket: 'revoke_ticket',
  order: 'revoke_order',
  destroy: 'revoke_destroy',
  confirm: 'revoke_confirm',
} as const;

export const INCIDENT_BLOCKS = {
  update: 'incident_update',
  postmortem: 'incident_postmortem',
  /** The close form's optional override: why to close with the compromised version still live. */
  override: 'incident_close_override',
} as const;

export const ROTATION_BLOCKS = {
  ticket: 'rotation_ticket',
  reason: 'rotation_reason',
  picker: 'rotation_picker',
  /** The rollback form's checkboxes: what the person confirms they did first; option values are the items' ids. */
  rollbackConfirmations: 'rotation_rollback_confirmations',
} as const;

/** Input blocks of the planned-window form; each holds one element whose action_id is `value`. */
export const WINDOW_BLOCKS = {
  start: 'window_start',
  duration: 'window_duration',
  impact: 'window_impact',
} as const;

/** Input blocks of the add/edit modal; each block holds one element whose action_id is `value`. */
export const SECRET_FORM_BLOCKS = {
  name: 'secret_name',
  type: 'secret_type',
  description: 'secret_description',
  owner: 'secret_owner',
  backupOwner: 'secret_backup_owner',
  team: 'secret_team',
  consumers: 'secret_consumers',
  /** Who may read the value: people (a multi-user select) and user groups (their `S…` ids, typed). */
  accessUsers: 'secret_access_users',
  accessGroups: 'secret_access_groups',
  breakGlass: 'secret_break_glass',
  provider: 'secret_provider',
  providerRef: 'secret_provider_ref',
  intervalDays: 'secret_interval_days',
  lastRotated: 'secret_last_rotated',
  status: 'secret_status',
  retrievalInstructions: 'secret_retrieval',
  valueSource: 'secret_value_source',
  valueField: 'secret_value_field',
  /** Where Rotor sets the credential: the target's JSON (docs/targets.md), empty for none. */
  target: 'secret_target',
} as const;

export const NOT_MINE_BLOCKS = {
  rightOwner: 'not_mine_right_owner',
  note: 'not_mine_note',
} as const;

/** The action_id of every modal input element: one input per block, so the block id names the field. */
export const FORM_VALUE_ACTION = 'value';

/** A digest item's menu choice: snooze that reminder for some days, say it is not mine, or open its rotation. */
export type DigestChoice =
  | { kind: 'snooze'; days: number; key: string }
  | { kind: 'not_mine'; key: string }
  | { kind: 'rotate'; key: string };

/** `snooze:<days>|<key>`, `not_mine|<key>`, `rotate|<key>`: the ledger key keeps an option's value well under Slack's 150 characters. */
export function encodeDigestChoice(choice: DigestChoice): string {
  return choice.kind === 'snooze' ? `snooze:${choice.days}|${choice.key}` : `${choice.kind}|${choice.key}`;
}

export function decodeDigestChoice(value: string): DigestChoice {
  const bar = value.indexOf('|');
  const choice = value.slice(0, bar);
  const key = value.slice(bar + 1);
  if (bar > 0 && (choice === 'not_mine' || choice === 'rotate')) return { kind: choice, key };
  const days = /^snooze:(\d+)$/.exec(choice)?.[1];
  if (bar > 0 && days) return { kind: 'snooze', days: Number(days), key };
  throw new ValidationError('That menu choice is not one Rotor offers; open the reminder again.', []);
}

/** What a modal carries between opening and submission in `private_metadata` (Slack echoes it back). */
function encodeMetadata(value: Record<string, string>): string {
  return JSON.stringify(value);
}

/** The object a modal's or button's JSON text holds; `{}` for text that is not JSON or not an object, which every decoder then refuses. */
function jsonRecord(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function decodeMetadata<K extends string>(text: string, keys: readonly K[]): Record<K, string> | null {
  const record = jsonRecord(text);
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

/** Which "not mine" answer the admins' button applies: secret id, cycle and who said it. */
export function encodeNotMineRef(ref: NotMineRef): string {
  return `${ref.secretId}/${ref.cycle}/${ref.saidBy}`;
}

export function decodeNotMineRef(value: string): NotMineRef {
  const match = /^(\d{1,12})\/(\d{4}-\d{2}-\d{2})\/([UW][A-Z0-9]{2,})$/.exec(value);
  if (!match) throw new ValidationError('That button is not one Rotor offers; set the owner with `/secrets owner <name> @user`.', []);
  return { secretId: Number(match[1]), cycle: match[2] as string, saidBy: match[3] as string };
}

/** Which rotation a button acts on, carried in its value. */
export function encodeRotationRef(rotationId: number): string {
  return `rotation:${rotationId}`;
}

export function decodeRotationRef(value: string): number {
  const match = /^rotation:(\d{1,12})$/.exec(value);
  if (!match) throw new ValidationError('That button is not one Rotor offers for a rotation; run `/rotate` again.', []);
  return Number(match[1]);
}

/**
 * What the rotation modal carries: the secret, and once a rotation shows, its id and the version
 * shown (a click from an older version is refused and the view refreshed).
 */
export type RotationMetadata = { secret: string; rotationId: number | null; version: number | null };

export function encodeRotationMetadata(metadata: RotationMetadata): string {
  return JSON.stringify({ s: metadata.secret, r: metadata.rotationId, v: metadata.version });
}

export function decodeRotationMetadata(text: string): RotationMetadata {
  const record = jsonRecord(text);
  const isId = (value: unknown) => value === null || (typeof value === 'number' && Number.isSafeInteger(value) && value > 0);
  if (typeof record.s !== 'string' || record.s.length > 200 || !isId(record.r) || !isId(record.v)) {
    throw new ValidationError('This rotation form lost track of its secret; run `/rotate <name>` again.', []);
  }
  return { secret: record.s, rotationId: record.r as number | null, version: record.v as number | null };
}

export const REASON_PURPOSES = [
  'note',
  'skip',
  'roll_forward',
  'by_hand',
  'abandon',
  'abandon_by_hand',
  'reject',
  'rollback',
  'window_override',
] as const;
export type ReasonPurpose = (typeof REASON_PURPOSES)[number];

/** The note/reason modal's metadata: what it is for, and where to go back to. */
export interface ReasonMetadata {
  purpose: ReasonPurpose;
  rotationId: number;
  /** The rotation version the person saw (null for decisions from a DM, which do not depend on it). */
  version: number | null;
  step: string | null;
  /** The rotation modal below this one in the stack, refreshed once the reason is recorded. */
  rootViewId: string | null;
  /** The DM a rejection was started from, updated once it is recorded. */
  message: { channel: string; ts: string } | null;
}

export function encodeReasonMetadata(metadata: ReasonMetadata): string {
  return JSON.stringify(metadata);
}

export function decodeReasonMetadata(text: string): ReasonMetadata {
  const record = jsonRecord(text) as Partial<ReasonMetadata>;
  const validMessage =
    record.message === null ||
    (typeof record.message === 'object' && typeof record.message?.channel === 'string' && typeof record.message?.ts === 'string');
  if (
    !REASON_PURPOSES.includes(record.purpose as ReasonPurpose) ||
    typeof record.rotationId !== 'number' ||
    !(record.version === null || typeof record.version === 'number') ||
    !(record.step === null || typeof record.step === 'string') ||
    !(record.rootViewId === null || typeof record.rootViewId === 'string') ||
    !validMessage
  ) {
    throw new ValidationError('This form lost track of its rotation; open it again with `/rotate <name>`.', []);
  }
  return record as ReasonMetadata;
}

/** The planned-window form's metadata: the rotation it plans, and the rotation modal below it (refreshed after). */
export interface WindowMetadata {
  rotationId: number;
  rootViewId: string | null;
}

export function encodeWindowMetadata(metadata: WindowMetadata): string {
  return JSON.stringify({ r: metadata.rotationId, v: metadata.rootViewId });
}

export function decodeWindowMetadata(text: string): WindowMetadata {
  const record = jsonRecord(text);
  if (
    typeof record.r !== 'number' ||
    !Number.isSafeInteger(record.r) ||
    record.r <= 0 ||
    !(record.v === null || (typeof record.v === 'string' && record.v.length <= 40))
  )
    throw new ValidationError('This form lost track of its rotation; open it again with `/rotate <name>`.', []);
  return { rotationId: record.r, rootViewId: record.v as string | null };
}

/** Which incident a button or form acts on. */
export function encodeIncidentRef(incidentId: number): string {
  return `incident:${incidentId}`;
}

export function decodeIncidentRef(value: string): number {
  const match = /^incident:(\d{1,12})$/.exec(value);
  if (!match)
    throw new ValidationError(
      'That button is not one Rotor offers for an incident; look the incident up with `rotor incidents list --open`.',
      [],
    );
  return Number(match[1]);
}

/** What the revocation confirmation carries: the secret it revokes and the incident channel `/revoke` ran in. */
export interface RevokeMetadata {
  secret: string;
  channel: string;
}

export function encodeRevokeMetadata(metadata: RevokeMetadata): string {
  return encodeMetadata({ secret: metadata.secret, channel: metadata.channel });
}

export function decodeRevokeMetadata(text: string): RevokeMetadata {
  const decoded = decodeMetadata(text, ['secret', 'channel']);
  if (!decoded || decoded.secret.length > 200 || !/^[CG][A-Z0-9]{2,}$/.test(decoded.channel)) {
    throw new ValidationError(
      'This confirmation lost track of what it revokes; nothing was revoked. Run `/revoke <name> <reason>` again in the incident channel.',
      [],
    );
  }
  return { secret: decoded.secret, channel: decoded.channel };
}

/** A secret chosen in the `/rotate` picker, by id (a name can be longer than an option value may be). */
export function encodePickedSecret(secretId: number): string {
  return `secret:${secretId}`;
}

export function decodePickedSecret(value: string): number {
  const match = /^secret:(\d{1,12})$/.exec(value);
  if (!match) throw new ValidationError('That choice is not one Rotor offers; run `/rotate` again.', []);
  return Number(match[1]);
}

/** Which reference change request a button decides. */
export function encodeReferenceRequestRef(requestId: number): string {
  return `reference_request:${requestId}`;
}

export function decodeReferenceRequestRef(value: string): number {
  const match = /^reference_request:(\d{1,12})$/.exec(value);
  if (!match)
    throw new ValidationError(
      'That button is not one Rotor offers for a reference change; ask for the change again with `/secrets edit <name>`.',
      [],
    );
  return Number(match[1]);
}
