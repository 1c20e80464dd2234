import type { BlockButtonAction } from '@slack/bolt';
import { slackActor } from '../../../access/actor.js';
import { isOpen } from '../../../rotation/rotation.js';
import { ACTION_IDS, decodeIncidentRef } from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { pageAcknowledgedMessage } from '../../views/incident/incident-messages.js';
import { closeIncidentModal, statusUpdateModal } from '../../views/incident/revoke-modal.js';
import { textMessage } from '../../views/slack-message.js';
import type { ActionRegistry } from '../action-registry.js';
import { replaceClickedMessage } from './clicked-message.js';
import { refreshRoleGroups, type RoleGroupDeps } from '../../outbound/slack-user-groups.js';

/**
 * The incident's buttons: Acknowledge on a page, and on the status message and the DMs the
 * status update, close, retry and sign-off. Each calls one RevocationService method with the
 * clicking person as the actor; the status message itself is redrawn by the follow-ups the
 * change scheduled, so nothing here edits it. A refusal is thrown, and said by the error handler
 * under the message clicked.
 */
export function registerIncidentActions(
  actions: ActionRegistry,
  deps: Pick<SlackDeps, 'revocation' | 'rotation' | 'clock'> & RoleGroupDeps,
): void {
  const revocation = () => deps.revocation;

  actions.on<BlockButtonAction>(ACTION_IDS.incidentAcknowledge, async ({ ack, action, body, client }) => {
    await ack();
    const record = revocation().acknowledge(slackActor(body.user.id), decodeIncidentRef(action.value ?? ''));
    await replaceClickedMessage(
      client,
      body,
      pageAcknowledgedMessage(record.incident, body.user.id, deps.clock.now().toUTC().toISO() as string),
    );
  });

  actions.on<BlockButtonAction>(ACTION_IDS.incidentStatusUpdate, async ({ ack, action, body, client }) => {
    await ack();
    const record = revocation().workable(slackActor(body.user.id), decodeIncidentRef(action.value ?? ''));
    await client.views.open({ trigger_id: body.trigger_id, view: statusUpdateModal(record) });
  });

  actions.on<BlockButtonAction>(ACTION_IDS.incidentClose, async ({ ack, action, body, client }) => {
    await ack();
    // Refused at the button (who may close, or that it is closed), before any form opens.
    const record = revocation().closable(slackActor(body.user.id), decodeIncidentRef(action.value ?? ''));
    const rotation = record.incident.rotationId ? deps.rotation.get(record.incident.rotationId) : null;
    await client.views.open({
      trigger_id: body.trigger_id,
      view: closeIncidentModal(record, rotation === null || isOpen(rotation.rotation.state)),
    });
  });

  actions.on<BlockButtonAction>(ACTION_IDS.incidentRetry, async ({ ack, action, body }) => {
    await ack();
    const { error } = await revocation().retry(slackActor(body.user.id), decodeIncidentRef(action.value ?? ''));
    if (error) throw error;
  });

  actions.on<BlockButtonAction>(ACTION_IDS.incidentSignOff, async ({ ack, action, body, client, respond }) => {
    await ack();
    await refreshRoleGroups(client, deps);
    const record = revocation().signOff(slackActor(body.user.id), decodeIncidentRef(action.value ?? ''));
    const done = textMessage(
      `:ballot_box_with_check: You signed off the break-glass rotation of incident #${record.incident.id} (${record.incident.secretName}).`,
    );
    // From a DM the request is replaced; on the status message the redraw shows it.
    if (body.channel?.id?.startsWith('D')) await replaceClickedMessage(client, body, done);
    else await respond({ response_type: 'ephemeral', replace_original: false, ...done });
  });
}
