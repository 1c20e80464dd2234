import type { InputBlock, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { DEFAULT_INTERVALS } from '../../config/policy.js';
import { SECRET_TYPES, SLACK_USER_GROUP_ID, type Lifecycle, type Secret, type SecretType } from '../../inventory/secret.js';
import { BUILT_IN_STORES } from '../../providers/store-catalog.js';
import { valueSourceOf } from '../../rotation/checklists/value-source.js';
import { CALLBACK_IDS, encodeSecretFormMetadata, FORM_VALUE_ACTION, SECRET_FORM_BLOCKS } from '../ids.js';
import { truncate } from './mrkdwn.js';

/** Slack's limit for a plain_text_input; a target's JSON is far shorter. */
const TARGET_MAX_LENGTH = 3000;

const option = (value: string): PlainTextOption => ({ text: { type: 'plain_text', text: value }, value });

function textInput(
  blockId: string,
  label: string,
  options: { initial?: string | null; optional?: boolean; multiline?: boolean; placeholder?: string; hint?: string; maxLength?: number },
): InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional: options.optional ?? true,
    label: { type: 'plain_text', text: label },
    ...(options.hint ? { hint: { type: 'plain_text', text: options.hint } } : {}),
    element: {
      type: 'plain_text_input',
      action_id: FORM_VALUE_ACTION,
      multiline: options.multiline ?? false,
      ...(options.maxLength ? { max_length: options.maxLength } : {}),
      ...(options.initial ? { initial_value: truncate(options.initial, options.maxLength ?? 3000) } : {}),
      ...(options.placeholder ? { placeholder: { type: 'plain_text', text: options.placeholder } } : {}),
    },
  };
}

function userInput(blockId: string, label: string, initial: string | null | undefined, hint: string): InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional: true,
    label: { type: 'plain_text', text: label },
    hint: { type: 'plain_text', text: hint },
    element: { type: 'users_select', action_id: FORM_VALUE_ACTION, ...(initial ? { initial_user: initial } : {}) },
  };
}

/** The people who may read the value; user groups are typed beside it (a select offers no groups). */
function accessUsersInput(existing: Secret | null): InputBlock {
  const people = (existing?.access ?? []).filter((id) => !SLACK_USER_GROUP_ID.test(id));
  return {
    type: 'input',
    block_id: SECRET_FORM_BLOCKS.accessUsers,
    optional: true,
    label: { type: 'plain_text', text: 'Who else can read the value' },
    hint: {
      type: 'plain_text',
      text: 'Beside the owner and backup owner. When one of them leaves Slack, the secret is marked for rotation.',
    },
    element: { type: 'multi_users_select', action_id: FORM_VALUE_ACTION, ...(people.length > 0 ? { initial_users: people } : {}) },
  };
}

export const BREAK_GLASS_OPTION = 'break_glass';

/** A break-glass credential: reminded like any other, and each use needs a rotation soon. */
function breakGlassInput(existing: Secret | null): InputBlock {
  const option = {
    text: { type: 'plain_text' as const, text: 'Break-glass credential' },
    description: { type: 'plain_text' as const, text: 'Kept for emergencies: each use (/secrets used) needs a rotation.' },
    value: BREAK_GLASS_OPTION,
  };
  return {
    type: 'input',
    block_id: SECRET_FORM_BLOCKS.breakGlass,
    optional: true,
    label: { type: 'plain_text', text: 'Emergency use' },
    element: {
      type: 'checkboxes',
      action_id: FORM_VALUE_ACTION,
      options: [option],
      ...(existing?.breakGlass ? { initial_options: [option] } : {}),
    },
  };
}

function dateInput(blockId: string, label: string, initial: string | null | undefined, hint: string): InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional: true,
    label: { type: 'plain_text', text: label },
    hint: { type: 'plain_text', text: hint },
    element: { type: 'datepicker', action_id: FORM_VALUE_ACTION, ...(initial ? { initial_date: initial.slice(0, 10) } : {}) },
  };
}

/** The statuses a person sets from the form; `rotating` belongs to the rotation flow. */
const STATUS_CHOICES: readonly { value: Lifecycle; text: string }[] = [
  { value: 'active', text: 'Active' },
  { value: 'retired', text: 'Retired: no more reminders or rotations' },
  { value: 'compromised', text: 'Compromised: reminded as overdue until rotated' },
];

function statusInput(current: Lifecycle): InputBlock {
  const options = STATUS_CHOICES.map((choice) => ({ text: { type: 'plain_text' as const, text: choice.text }, value: choice.value }));
  return {
    type: 'input',
    block_id: SECRET_FORM_BLOCKS.status,
    optional: false,
    label: { type: 'plain_text', text: 'Status' },
    hint: { type: 'plain_text', text: 'To revoke a leaked secret at its store, use /revoke in an incident channel.' },
    element: {
      type: 'static_select',
      action_id: FORM_VALUE_ACTION,
      options,
      initial_option: options.find((option) => option.value === current) ?? options[0],
    },
  };
}

function selectInput(
  blockId: string,
  label: string,
  values: readonly string[],
  initial: string | undefined,
  optional: boolean,
): InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional,
    label: { type: 'plain_text', text: label },
    element: {
      type: 'static_select',
      action_id: FORM_VALUE_ACTION,
      options: values.map(option),
      ...(initial ? { initial_option: option(initial) } : {}),
    },
  };
}

const VALUE_SOURCE_TEXT = {
  generate: 'Generate: Rotor creates a random value at the store',
  issuer: "Issuer: a person writes the issuer's value",
} as const;

/** How a rotation gets its new value: the type's default (or the tag), or the secret's own choice. */
function valueSourceInput(existing: Secret | null): InputBlock {
  let fallback = 'by the type (or the rotor:value_source tag)';
  if (existing) {
    try {
      fallback = valueSourceOf({ ...existing, valueSource: null });
    } catch {
      // An invalid tag: the rotation says what is wrong with it.
    }
  }
  const options = [
    { text: { type: 'plain_text' as const, text: truncate(`Default: ${fallback}`, 75) }, value: 'default' },
    ...(['generate', 'issuer'] as const).map((source) => ({
      text: { type: 'plain_text' as const, text: VALUE_SOURCE_TEXT[source] },
      value: source,
    })),
  ];
  return {
    type: 'input',
    block_id: SECRET_FORM_BLOCKS.valueSource,
    optional: true,
    label: { type: 'plain_text', text: 'New value at rotation' },
    hint: {
      type: 'plain_text',
      text: 'AWS and Vault: who makes the new value. Choose Issuer for a key issued elsewhere or a composed value (a connection string).',
    },
    element: {
      type: 'static_select',
      action_id: FORM_VALUE_ACTION,
      options,
      initial_option: options.find((option) => option.value === (existing?.valueSource ?? 'default')) ?? options[0],
    },
  };
}

/**
 * The add and edit form. Stored text is shown in plain_text inputs, where Slack never
 * parses mentions or links, so it needs no escaping. Rename is not offered: a secret's name
 * is its identity in the audit trail. Every hint says what the service does with the field;
 * `intervals` are the policy's defaults by type, which an empty interval falls back to.
 */
export function secretFormModal(
  existing: Secret | null,
  intervals: Readonly<Record<SecretType, number>> = DEFAULT_INTERVALS,
  stores: readonly string[] = BUILT_IN_STORES.kinds.map((store) => store.kind),
): ModalView {
  const blocks: KnownBlock[] = [];
  if (existing) {
    blocks.push({ type: 'section', text: { type: 'plain_text', text: `Editing ${existing.name}` } });
  } else {
    blocks.push(
      textInput(SECRET_FORM_BLOCKS.name, 'Name', {
        optional: false,
        placeholder: 'prod/postgres/connection_string',
        hint: '{environment}/{service}/{credential_type}, lower-case',
        maxLength: 200,
      }),
    );
  }
  const intervalHint = existing
    ? `Leave empty for the policy default for ${existing.type}: ${intervals[existing.type]} days.`
    : `Leave empty for the policy default for the type (e.g. ${intervals.database} days for a database).`;
  const rotating = existing?.lifecycle === 'rotating';
  blocks.push(
    selectInput(SECRET_FORM_BLOCKS.type, 'Type', SECRET_TYPES, existing?.type, true),
    textInput(SECRET_FORM_BLOCKS.description, 'Description', { initial: existing?.description, multiline: true, maxLength: 2000 }),
    userInput(
      SECRET_FORM_BLOCKS.owner,
      'Owner',
      existing?.owner,
      existing ? 'A new owner is told by DM. The owner cannot be emptied.' : 'The person reminded first; told by DM when it changes.',
    ),
    userInput(
      SECRET_FORM_BLOCKS.backupOwner,
      'Backup owner',
      existing?.backupOwner,
      'Someone other than the owner, reminded when the owner does not act.',
    ),
    textInput(SECRET_FORM_BLOCKS.team, 'Team', { initial: existing?.team, maxLength: 80 }),
    textInput(SECRET_FORM_BLOCKS.consumers, 'Consumers', {
      initial: existing?.consumers.join(', '),
      hint: 'The services that use it, separated by commas.',
      maxLength: 2000,
    }),
    accessUsersInput(existing),
    textInput(SECRET_FORM_BLOCKS.accessGroups, 'User groups who can read the value', {
      initial: (existing?.access ?? []).filter((id) => SLACK_USER_GROUP_ID.test(id)).join(', '),
      placeholder: 'S0123ABCD',
      hint: 'User group ids (S…), separated by commas.',
      maxLength: 2000,
    }),
    breakGlassInput(existing),
    selectInput(SECRET_FORM_BLOCKS.provider, 'Provider', stores, existing?.provider ?? 'manual', false),
    textInput(SECRET_FORM_BLOCKS.providerRef, 'Provider reference', {
      initial: existing?.providerRef,
      hint: 'AWS: ARN or secret name. Vault: mount/path. Empty for manual.',
      maxLength: 600,
    }),
    textInput(SECRET_FORM_BLOCKS.intervalDays, 'Rotation interval (days)', {
      initial: existing ? String(existing.intervalDays) : undefined,
      hint: intervalHint,
      maxLength: 4,
    }),
  );
  if (rotating) {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'plain_text',
          text: `Status: rotating. A rotation is in progress, so its status and last rotation change when it ends; /rotate ${existing.name} continues it.`,
        },
      ],
    });
  } else {
    blocks.push(
      dateInput(
        SECRET_FORM_BLOCKS.lastRotated,
        'Last rotated',
        existing?.lastRotated,
        existing
          ? 'Set the day it was rotated by hand to record that rotation: the schedule restarts from it.'
          : 'Empty if it was never rotated: then it is due today.',
      ),
    );
    if (existing) blocks.push(statusInput(existing.lifecycle));
  }
  blocks.push(
    valueSourceInput(existing),
    textInput(SECRET_FORM_BLOCKS.valueField, 'Field a generated value replaces', {
      initial: existing?.valueField,
      placeholder: 'password',
      maxLength: 100,
      hint: "For a JSON (AWS) or Vault secret with several fields: the one holding the credential; every other field is kept. Empty: the policy's value_fields, else password.",
    }),
    textInput(SECRET_FORM_BLOCKS.target, 'Target: where Rotor sets the credential', {
      initial: existing?.target ? JSON.stringify(existing.target) : undefined,
      multiline: true,
      maxLength: TARGET_MAX_LENGTH,
      placeholder: '{"engine":"postgres","host":"db.internal","dbname":"app","roles":["app_a","app_b"],"managing_ref":"prod/app/db_admin"}',
      hint: "PostgreSQL role(s) or Redis ACL user, as JSON: places, logins and the managing secret's reference, never a password. Empty: no target. See docs/targets.md.",
    }),
    textInput(SECRET_FORM_BLOCKS.retrievalInstructions, 'Retrieval instructions', {
      initial: existing?.retrievalInstructions,
      multiline: true,
      maxLength: 2000,
      hint: 'How consumers fetch a new version. Never paste the value itself.',
    }),
  );
  return {
    type: 'modal',
    callback_id: existing ? CALLBACK_IDS.editSecret : CALLBACK_IDS.addSecret,
    title: { type: 'plain_text', text: existing ? 'Edit secret' : 'Add a secret' },
    submit: { type: 'plain_text', text: 'Save' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: existing ? encodeSecretFormMetadata(existing.name) : '',
    blocks,
  };
}

/** Validation issue `where` (field names as the inventory reports them) → the block showing that field. */
export const FIELD_BLOCKS: Readonly<Record<string, string>> = {
  name: SECRET_FORM_BLOCKS.name,
  type: SECRET_FORM_BLOCKS.type,
  description: SECRET_FORM_BLOCKS.description,
  owner: SECRET_FORM_BLOCKS.owner,
  backup_owner: SECRET_FORM_BLOCKS.backupOwner,
  team: SECRET_FORM_BLOCKS.team,
  consumers: SECRET_FORM_BLOCKS.consumers,
  access: SECRET_FORM_BLOCKS.accessGroups,
  break_glass: SECRET_FORM_BLOCKS.breakGlass,
  provider: SECRET_FORM_BLOCKS.provider,
  provider_ref: SECRET_FORM_BLOCKS.providerRef,
  interval_days: SECRET_FORM_BLOCKS.intervalDays,
  last_rotated: SECRET_FORM_BLOCKS.lastRotated,
  status: SECRET_FORM_BLOCKS.status,
  retrieval_instructions: SECRET_FORM_BLOCKS.retrievalInstructions,
  value_source: SECRET_FORM_BLOCKS.valueSource,
  value_field: SECRET_FORM_BLOCKS.valueField,
  target: SECRET_FORM_BLOCKS.target,
};
