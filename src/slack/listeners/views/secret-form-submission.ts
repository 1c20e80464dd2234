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
  const fields: [keyof LooseRecord, string][] = [
    ['name', SECRET_FORM_BLOCKS.name],
    ['type', SECRET_FORM_BLOCKS.type],
    ['description', SECRET_FORM_BLOCKS.description],
    ['owner', SECRET_FORM_BLOCKS.owner],
    ['backupOwner', SECRET_FORM_BLOCKS.backupOwner],
    ['team', SECRET_FORM_BLOCKS.team],
    ['provider', SECRET_FORM_BLOCKS.provider],
    ['providerRef', SECRET_FORM_BLOCKS.providerRef],
    ['intervalDays', SECRET_FORM_BLOCKS.intervalDays],
    ['retrievalInstructions', SECRET_FORM_BLOCKS.retrievalInstructions],
  ];
  const record: LooseRecord = {};
  // Only the inputs the submitted view holds: an input left empty is a key with no value, which
  // an edit clears; an input the view lacks is no key at all, which leaves the field alone.
  for (const [field, blockId] of fields) {
    const state = values[blockId]?.[FORM_VALUE_ACTION];
    if (state) record[field] = state.value ?? state.selected_option?.value ?? state.selected_user ?? undefined;
  }
  return record;
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

/**
 * The owner is the one field an edit cannot empty: a secret without an owner gets no reminders.
 * Handing a secret over is `/secrets owner`, or a new owner on this form.
 */
function refuseEmptiedOwner(input: LooseRecord, existing: Secret): void {
  const emptied = 'owner' in input && (input.owner === undefined || (typeof input.owner === 'string' && input.owner.trim() === ''));
  if (emptied && existing.owner) {
    const message = 'Owner cannot be emptied: a secret without an owner gets no reminders. Choose the new owner instead. Nothing was saved.';
    throw new ValidationError(message, [{ where: 'owner', message }]);
  }
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
      refuseEmptiedOwner(input, secret);
      services.inventoryService.update(name, input, actor, 'slack', { emptyClears: true });
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await ack({ response_action: 'errors', errors: toFieldErrors(error, SECRET_FORM_BLOCKS.type, [SECRET_FORM_BLOCKS.name]) });
      return;
    }
    await ack();
    await client.chat.postMessage({ channel: actor, text: `:white_check_mark: Saved ${code(name)}.` });
  });
}
