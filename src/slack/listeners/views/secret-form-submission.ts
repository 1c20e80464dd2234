import type { App, ViewOutput } from '@slack/bolt';
import { AccessDeniedError, authorize } from '../../../access/authorize.js';
import { describeWhoMay } from '../../../access/permissions.js';
import { isRotorError, ValidationError } from '../../../core/errors.js';
import type { LooseRecord } from '../../../inventory/secret-fields.js';
import type { Secret } from '../../../inventory/secret.js';
import { CALLBACK_IDS, FORM_VALUE_ACTION, SECRET_FORM_BLOCKS } from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { code } from '../../views/mrkdwn.js';
import { FIELD_BLOCKS, type SecretFormMetadata } from '../../views/secret-form-modal.js';

/** Reads the form's state into the loose record the inventory service validates. */
export function readSecretForm(view: ViewOutput): LooseRecord {
  const values = view.state.values;
  const read = (blockId: string) => {
    const state = values[blockId]?.[FORM_VALUE_ACTION];
    if (!state) return undefined;
    return state.value ?? state.selected_option?.value ?? state.selected_user ?? undefined;
  };
  return {
    name: read(SECRET_FORM_BLOCKS.name),
    type: read(SECRET_FORM_BLOCKS.type),
    description: read(SECRET_FORM_BLOCKS.description),
    owner: read(SECRET_FORM_BLOCKS.owner),
    backupOwner: read(SECRET_FORM_BLOCKS.backupOwner),
    team: read(SECRET_FORM_BLOCKS.team),
    provider: read(SECRET_FORM_BLOCKS.provider),
    providerRef: read(SECRET_FORM_BLOCKS.providerRef),
    intervalDays: read(SECRET_FORM_BLOCKS.intervalDays),
    retrievalInstructions: read(SECRET_FORM_BLOCKS.retrievalInstructions),
  };
}

/**
 * Field errors for `response_action: 'errors'`: each issue on the block that shows its field;
 * anything without a field of its own goes on `fallbackBlock`. Plain text: Slack shows these
 * verbatim, so they are not mrkdwn-escaped.
 */
export function toFieldErrors(error: unknown, fallbackBlock: string, absentBlocks: readonly string[] = []): Record<string, string> {
  const errors: Record<string, string> = {};
  const add = (blockId: string, message: string) => {
    errors[blockId] = errors[blockId] ? `${errors[blockId]} ${message}` : message;
  };
  if (error instanceof ValidationError && error.issues.length > 0) {
    for (const issue of error.issues) {
      const block = FIELD_BLOCKS[issue.where];
      // An error on a block the modal does not show makes Slack reject the whole answer.
      add(block && !absentBlocks.includes(block) ? block : fallbackBlock, issue.message);
    }
  } else if (error instanceof AccessDeniedError) {
    add(fallbackBlock, `${error.reason} ${describeWhoMay(error.whoMay).replace(/<@([A-Z0-9]+)>/g, '$1')}`);
  } else if (isRotorError(error)) {
    add(fallbackBlock, error.message);
  }
  return errors;
}

/** Slack echoes private_metadata back as sent, but a forged or garbled one must be a clear refusal, not a crash. */
function parseMetadata(view: ViewOutput): SecretFormMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(view.private_metadata);
  } catch {
    parsed = null;
  }
  const name = typeof parsed === 'object' && parsed !== null ? (parsed as Partial<SecretFormMetadata>).name : undefined;
  if (typeof name !== 'string') throw new ValidationError('This form is missing the secret it edits; run `/secrets edit <name>` again.', []);
  return { name };
}

/** Form fields whose stored value an emptied input would silently keep: the inventory's update leaves absent fields alone. */
const CLEARABLE_FIELDS = [
  ['description', 'description', 'Description', SECRET_FORM_BLOCKS.description],
  ['owner', 'owner', 'Owner', SECRET_FORM_BLOCKS.owner],
  ['backupOwner', 'backup_owner', 'Backup owner', SECRET_FORM_BLOCKS.backupOwner],
  ['team', 'team', 'Team', SECRET_FORM_BLOCKS.team],
  ['providerRef', 'provider_ref', 'Provider reference', SECRET_FORM_BLOCKS.providerRef],
  ['retrievalInstructions', 'retrieval_instructions', 'Retrieval instructions', SECRET_FORM_BLOCKS.retrievalInstructions],
] as const;

/**
 * Checks what the inventory would otherwise accept wrongly or ignore: a fractional interval
 * (read as its whole part) and a field emptied on the edit form (kept as it was, while Rotor
 * would answer "Saved").
 */
function checkFormInput(view: ViewOutput, input: LooseRecord, existing: Secret | null): void {
  const issues: { where: string; message: string }[] = [];
  const interval = typeof input.intervalDays === 'string' ? input.intervalDays.trim() : '';
  // Other non-numbers are the inventory's to refuse; these it would read as their whole part.
  if (/^-?\d*[.,eE]\d/.test(interval)) {
    issues.push({ where: 'interval_days', message: `\`${interval}\` is not a whole number of days; write 90 or "90 days"` });
  }
  if (existing) {
    for (const [field, where, label, blockId] of CLEARABLE_FIELDS) {
      if (!view.state.values[blockId]?.[FORM_VALUE_ACTION]) continue;
      const given = input[field];
      const emptied = given === undefined || (typeof given === 'string' && given.trim() === '');
      if (emptied && existing[field]) issues.push({ where, message: `${label} cannot be emptied from this form; put its value back, or give a new one. Nothing was saved.` });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues.map((issue) => issue.message).join(' '), issues);
}

/** Add and edit submissions: validate through the service; problems go back onto the fields. */
export function registerSecretFormSubmissions(app: App, deps: SlackDeps): void {
  const { services } = deps;

  app.view(CALLBACK_IDS.addSecret, async ({ ack, body, view, client }) => {
    const actor = body.user.id;
    let name: string;
    try {
      authorize(services.policy, services.audit, { actor, action: 'add' });
      const input = readSecretForm(view);
      checkFormInput(view, input, null);
      name = services.inventoryService.create(input, actor, 'slack').name;
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await ack({ response_action: 'errors', errors: toFieldErrors(error, SECRET_FORM_BLOCKS.name) });
      return;
    }
    await ack();
    await client.chat.postMessage({ channel: actor, text: `:white_check_mark: Added ${code(name)}. \`/secrets show ${name}\` shows it.` });
  });

  app.view(CALLBACK_IDS.editSecret, async ({ ack, body, view, client }) => {
    const actor = body.user.id;
    let name: string;
    try {
      name = parseMetadata(view).name;
      const secret = services.inventoryService.require(name);
      authorize(services.policy, services.audit, { actor, action: 'edit', secret });
      const input = readSecretForm(view);
      const ownerChanges = input.owner !== undefined && input.owner !== secret.owner;
      if (ownerChanges) authorize(services.policy, services.audit, { actor, action: 'change_owner', secret });
      checkFormInput(view, input, secret);
      services.inventoryService.update(name, input, actor, 'slack');
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await ack({ response_action: 'errors', errors: toFieldErrors(error, SECRET_FORM_BLOCKS.type, [SECRET_FORM_BLOCKS.name]) });
      return;
    }
    await ack();
    await client.chat.postMessage({ channel: actor, text: `:white_check_mark: Saved ${code(name)}.` });
  });
}
