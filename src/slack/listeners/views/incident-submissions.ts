import type { App, ViewOutput } from '@slack/bolt';
import { slackActor } from '../../../access/actor.js';
import { isRotorError } from '../../../core/errors.js';
import type { RevocationInput } from '../../../revocation/revocation-request.js';
import { parseRevocation } from '../../../revocation/revocation-request.js';
import { IncidentOpenError } from '../../../revocation/revocation-service.js';
import {
  CALLBACK_IDS,
  decodeIncidentRef,
  decodeRevokeMetadata,
  FORM_VALUE_ACTION,
  INCIDENT_BLOCKS,
  REVOKE_BLOCKS,
  type RevokeMetadata,
} from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { fieldErrors } from '../../views/field-errors.js';
import { revokeOutcomeModal, revokeWorkingModal } from '../../views/incident/revoke-modal.js';
import { problemText } from '../../views/rotation/rotation-flash.js';
import { updateModal } from '../rotation-views.js';
import { refreshRoleGroups, type RoleGroupDeps } from '../../outbound/slack-user-groups.js';

type Field = { value?: string | null; selected_option?: { value: string } | null; selected_options?: { value: string }[] };

function field(view: ViewOutput, blockId: string): Field | undefined {
  return view.state.values[blockId]?.[FORM_VALUE_ACTION] as Field | undefined;
}

const REVOKE_FIELD_BLOCKS: Readonly<Record<string, string>> = {
  reason: REVOKE_BLOCKS.reason,
  severity: REVOKE_BLOCKS.severity,
  ticket: REVOKE_BLOCKS.ticket,
  order: REVOKE_BLOCKS.order,
  destroy: REVOKE_BLOCKS.destroy,
  confirm: REVOKE_BLOCKS.confirm,
};

/** How long the close form waits for the store's answer before it gives up (Slack waits three seconds for the form's). */
const CLOSE_READ_MS = 2_300;

/**
 * The incident's forms. The revocation is checked in full before the ack (a wrong name, a
 * missing severity, a refusal show on their fields, and nothing is written); the revocation itself
 * runs after the ack and the modal shows how it went. A replayed or doubled confirmation finds
 * the incident the first one opened.
 */
export function registerIncidentSubmissions(app: App, deps: Pick<SlackDeps, 'revocation' | 'stores'> & RoleGroupDeps): void {
  const revocation = () => deps.revocation;

  app.view(CALLBACK_IDS.revokeConfirm, async ({ ack, body, view, client }) => {
    await refreshRoleGroups(client, deps);
    let metadata: RevokeMetadata;
    let input: RevocationInput;
    let reason: string | null;
    const blockFor = (where: string) => (view.state.values[REVOKE_FIELD_BLOCKS[where] ?? ''] ? REVOKE_FIELD_BLOCKS[where] : undefined);
    try {
      metadata = decodeRevokeMetadata(view.private_metadata);
      const actor = slackActor(body.user.id, metadata.channel);
      const secret = revocation().revocable(actor, metadata.secret);
      reason = field(view, REVOKE_BLOCKS.reason)?.value ?? null;
      input = {
        confirmName: field(view, REVOKE_BLOCKS.confirm)?.value ?? null,
        severity: field(view, REVOKE_BLOCKS.severity)?.selected_option?.value ?? null,
        ticket: field(view, REVOKE_BLOCKS.ticket)?.value ?? null,
        order: field(view, REVOKE_BLOCKS.order)?.selected_option?.value ?? null,
        destroy: (field(view, REVOKE_BLOCKS.destroy)?.selected_options ?? []).some((option) => option.value === 'destroy'),
      };
      const open = revocation().openFor(secret.name);
      if (open) throw new IncidentOpenError(open);
      parseRevocation(secret, reason, input, deps.stores);
    } catch (error) {
      if (error instanceof IncidentOpenError) {
        await ack({ response_action: 'update', view: revokeOutcomeModal(null, { record: error.record, existing: true }) });
        return;
      }
      if (!isRotorError(error)) throw error;
      // A form that cannot be read back (tampered, or from an older Rotor) has no field to show it on.
      const errors = fieldErrors(error, blockFor, REVOKE_BLOCKS.confirm);
      if (view.state.values[REVOKE_BLOCKS.confirm]) await ack({ response_action: 'errors', errors });
      else await ack({ response_action: 'update', view: revokeOutcomeModal(null, { problem: problemText(error) }) });
      return;
    }
    await ack({ response_action: 'update', view: revokeWorkingModal(metadata.secret, metadata.channel, 'Revoking') });
    const actor = slackActor(body.user.id, metadata.channel);
    try {
      const record = await revocation().open(actor, metadata.secret, reason, input);
      await updateModal(client, view.id, revokeOutcomeModal(metadata, { record, existing: false }));
    } catch (error) {
      if (error instanceof IncidentOpenError) {
        await updateModal(client, view.id, revokeOutcomeModal(metadata, { record: error.record, existing: true }));
        return;
      }
      if (!isRotorError(error)) throw error;
      await updateModal(client, view.id, revokeOutcomeModal(metadata, { problem: problemText(error) }));
    }
  });

  app.view(CALLBACK_IDS.incidentStatusUpdate, async ({ ack, body, view }) => {
    try {
      revocation().recordStatusUpdate(
        slackActor(body.user.id),
        decodeIncidentRef(view.private_metadata),
        field(view, INCIDENT_BLOCKS.update)?.value ?? null,
      );
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await ack({ response_action: 'errors', errors: fieldErrors(error, () => INCIDENT_BLOCKS.update, INCIDENT_BLOCKS.update) });
      return;
    }
    await ack();
  });

  app.view(CALLBACK_IDS.incidentClose, async ({ ack, body, view }) => {
    try {
      // The store is read before the answer, within Slack's three seconds: past them nothing is recorded and the form says so.
      await revocation().close(
        slackActor(body.user.id),
        decodeIncidentRef(view.private_metadata),
        field(view, INCIDENT_BLOCKS.postmortem)?.value ?? null,
        {
          override: field(view, INCIDENT_BLOCKS.override)?.value ?? null,
          signal: AbortSignal.timeout(CLOSE_READ_MS),
        },
      );
    } catch (error) {
      if (!isRotorError(error)) throw error;
      const hasOverride =
        view.state.values[INCIDENT_BLOCKS.override] !== undefined ||
        view.blocks.some((block) => block.block_id === INCIDENT_BLOCKS.override);
      const blockFor = (where: string) => (where === 'override' && hasOverride ? INCIDENT_BLOCKS.override : INCIDENT_BLOCKS.postmortem);
      await ack({ response_action: 'errors', errors: fieldErrors(error, blockFor, INCIDENT_BLOCKS.postmortem) });
      return;
    }
    await ack();
  });
}
