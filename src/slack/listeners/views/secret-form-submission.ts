import type { App, ViewOutput } from '@slack/bolt';
import { slackActor } from '../../../access/actor.js';
import { isRotorError, ValidationError } from '../../../core/errors.js';
import type { FormSave } from '../../../inventory/ownership-service.js';
import type { LooseRecord } from '../../../inventory/secret-fields.js';
import { CALLBACK_IDS, decodeSecretFormMetadata, FORM_VALUE_ACTION, SECRET_FORM_BLOCKS } from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { fieldErrors } from '../../views/field-errors.js';
import { secretAddedMessage, secretSavedMessage } from '../../views/secret-change-messages.js';
import { BREAK_GLASS_OPTION, FIELD_BLOCKS } from '../../views/secret-form-modal.js';
import { refreshRoleGroups, type RoleGroupDeps } from '../../outbound/slack-user-groups.js';

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
    ['consumers', SECRET_FORM_BLOCKS.consumers],
    ['provider', SECRET_FORM_BLOCKS.provider],
    ['providerRef', SECRET_FORM_BLOCKS.providerRef],
    ['intervalDays', SECRET_FORM_BLOCKS.intervalDays],
    ['lastRotated', SECRET_FORM_BLOCKS.lastRotated],
    ['lifecycle', SECRET_FORM_BLOCKS.status],
    ['retrievalInstructions', SECRET_FORM_BLOCKS.retrievalInstructions],
    ['valueSource', SECRET_FORM_BLOCKS.valueSource],
    ['valueField', SECRET_FORM_BLOCKS.valueField],
    ['target', SECRET_FORM_BLOCKS.target],
  ];
  const record: LooseRecord = {};
  // Only the inputs the submitted view holds: an input left empty is a key with no value, which
  // an edit clears; an input the view lacks is no key at all, which leaves the field alone.
  for (const [field, blockId] of fields) {
    const state = values[blockId]?.[FORM_VALUE_ACTION];
    if (state) record[field] = state.value ?? state.selected_option?.value ?? state.selected_user ?? state.selected_date ?? undefined;
  }
  // Who may read it: the people chosen and the groups typed, one list (empty clears it on an edit).
  const people = values[SECRET_FORM_BLOCKS.accessUsers]?.[FORM_VALUE_ACTION];
  const groups = values[SECRET_FORM_BLOCKS.accessGroups]?.[FORM_VALUE_ACTION];
  if (people || groups)
    record.access = [...(people?.selected_users ?? []), ...(groups?.value ?? '').split(/[,;\s]+/).filter((id) => id !== '')];
  const breakGlass = values[SECRET_FORM_BLOCKS.breakGlass]?.[FORM_VALUE_ACTION];
  if (breakGlass) record.breakGlass = (breakGlass.selected_options ?? []).some((option) => option.value === BREAK_GLASS_OPTION);
  return record;
}

const TARGET_KEY_PREFIX = 'target.';

/**
 * The target's problems are reported by its JSON keys (`target.port`); the one field showing the
 * whole JSON names the key in each message, so "must be 1 to 65535" says which number is wrong.
 */
function namingTargetKeys(error: unknown): unknown {
  if (!(error instanceof ValidationError) || !error.issues.some((issue) => issue.where.startsWith(TARGET_KEY_PREFIX))) return error;
  const issues = error.issues.map((issue) =>
    issue.where.startsWith(TARGET_KEY_PREFIX)
      ? { ...issue, message: `${issue.where.slice(TARGET_KEY_PREFIX.length)}: ${issue.message}` }
      : issue,
  );
  return new ValidationError(error.message, issues, { cause: error });
}

/**
 * The form's blocks for the inventory's field names, leaving out any the modal does not show.
 * (A field the modal leaves out for a rotating secret, status or last rotated, is never
 * submitted, so no error can name it.)
 */
function formBlockFor(absentBlocks: readonly string[]): (where: string) => string | undefined {
  return (where) => {
    const block = FIELD_BLOCKS[where.startsWith(TARGET_KEY_PREFIX) ? 'target' : where];
    return block && !absentBlocks.includes(block) ? block : undefined;
  };
}

/**
 * Add and edit submissions: people checked with Slack, then validated, authorized and saved by
 * the services; problems go back onto the fields. After the ack, a new owner is told by DM and
 * the person who saved is told what happened.
 */
export function registerSecretFormSubmissions(app: App, deps: Pick<SlackDeps, 'ownership' | 'logger'> & RoleGroupDeps): void {
  const save = async (name: string | null, view: ViewOutput, actor: string) =>
    deps.ownership.saveForm(name, readSecretForm(view), slackActor(actor));

  app.view(CALLBACK_IDS.addSecret, async ({ ack, body, view, client }) => {
    await refreshRoleGroups(client, deps);
    const actor = body.user.id;
    let saved: FormSave;
    try {
      saved = await save(null, view, actor);
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await ack({ response_action: 'errors', errors: fieldErrors(namingTargetKeys(error), formBlockFor([]), SECRET_FORM_BLOCKS.name) });
      return;
    }
    await ack();
    const told =
      saved.secret.owner && saved.secret.owner !== actor ? await deps.ownership.tellNewOwner(saved.secret, slackActor(actor)) : null;
    const added = secretAddedMessage(saved.secret.name, told && { owner: saved.secret.owner as string, told });
    await client.chat.postMessage({ channel: actor, text: added.text, blocks: added.blocks });
  });

  app.view(CALLBACK_IDS.editSecret, async ({ ack, body, view, client }) => {
    await refreshRoleGroups(client, deps);
    const actor = body.user.id;
    let saved: FormSave;
    try {
      saved = await save(decodeSecretFormMetadata(view.private_metadata).name, view, actor);
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await ack({
        response_action: 'errors',
        errors: fieldErrors(namingTargetKeys(error), formBlockFor([SECRET_FORM_BLOCKS.name]), SECRET_FORM_BLOCKS.type),
      });
      return;
    }
    await ack();
    const handedOver = saved.handedOverFrom !== undefined && saved.secret.owner !== null && saved.secret.owner !== actor;
    const told = handedOver ? await deps.ownership.tellNewOwner(saved.secret, slackActor(actor)) : null;
    if (saved.handedOverFrom !== undefined) deps.ownership.tellFormerOwner(saved.secret, saved.handedOverFrom, slackActor(actor));
    const message = secretSavedMessage(saved.secret, told && { owner: saved.secret.owner as string, told }, saved.referenceRequest ?? null);
    await client.chat.postMessage({ channel: actor, text: message.text, blocks: message.blocks });
  });
}
