import type { App, ViewOutput } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { slackActor, type SlackActor } from '../../../access/actor.js';
import { isRotorError } from '../../../core/errors.js';
import { parseChangeTicket } from '../../../rotation/change-ticket.js';
import type { RotationRecord } from '../../../rotation/rotation.js';
import { cleanNote } from '../../../rotation/rotation-rules.js';
import { CleanupFailedError } from '../../../rotation/rotation-service.js';
import { RejectCleanupFailedError } from '../../../rotation/rotation-errors.js';
import {
  CALLBACK_IDS,
  decodeReasonMetadata,
  decodeRotationMetadata,
  decodeWindowMetadata,
  FORM_VALUE_ACTION,
  ROTATION_BLOCKS,
  WINDOW_BLOCKS,
  type ReasonMetadata,
} from '../../ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { isSlackApiError, slackErrorCode } from '../../errors.js';
import { fieldErrors } from '../../views/field-errors.js';
import { flashFor, rejectCleanupFlash } from '../../views/rotation/rotation-flash.js';
import type { Flash } from '../../views/rotation/rotation-modal.js';
import { approvalDecidedMessage, rejectCleanupRequestMessage } from '../../views/rotation/rotation-messages.js';
import { rotationLoadingModal } from '../../views/rotation/rotation-modal.js';
import { textMessage } from '../../views/slack-message.js';
import { fillRotation, refreshOthers, showOrTell, type RotationViewDeps } from '../rotation-views.js';
import { refreshRoleGroups, type RoleGroupDeps } from '../../outbound/slack-user-groups.js';

function inputValue(view: ViewOutput, blockId: string): string | null {
  return view.state.values[blockId]?.[FORM_VALUE_ACTION]?.value ?? null;
}

/**
 * The rotation's form submissions. What can be refused is checked before the ack, so the problem
 * shows on the field (a bad ticket, a missing reason, a refusal); slow work (the preflight before
 * a start, the provider cleanup of an abandon or rollback) runs after it and redraws the modal.
 */
export function registerRotationSubmissions(app: App, deps: RotationViewDeps & Pick<SlackDeps, 'clock' | 'windows'> & RoleGroupDeps): void {
  const rotation = () => deps.rotation;

  app.view(CALLBACK_IDS.rotation, async ({ ack, body, view, client }) => {
    const actor = slackActor(body.user.id);
    let name: string;
    let ticket: string;
    try {
      name = decodeRotationMetadata(view.private_metadata).secret;
      rotation().rotatable(actor, name);
      ticket = parseChangeTicket(inputValue(view, ROTATION_BLOCKS.ticket));
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await ack({
        response_action: 'errors',
        errors: fieldErrors(error, (where) => (where === 'ticket' ? ROTATION_BLOCKS.ticket : undefined), ROTATION_BLOCKS.ticket),
      });
      return;
    }
    await ack({ response_action: 'update', view: rotationLoadingModal(name, 'Starting the rotation of') });
    let record: RotationRecord;
    try {
      record = await rotation().start(actor, name, { ticket });
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await fillRotation(deps, client, view.id, actor, name, flashFor(error));
      return;
    }
    await showOrTell(deps, client, view.id, record, actor.userId);
  });

  app.view(CALLBACK_IDS.rotationWindow, async ({ ack, body, view, client }) => {
    const actor = slackActor(body.user.id);
    let record: RotationRecord;
    let rootViewId: string | null;
    try {
      const metadata = decodeWindowMetadata(view.private_metadata);
      rootViewId = metadata.rootViewId;
      const seconds = view.state.values[WINDOW_BLOCKS.start]?.[FORM_VALUE_ACTION]?.selected_date_time;
      const minutes = inputValue(view, WINDOW_BLOCKS.duration);
      record = deps.windows.plan(actor, metadata.rotationId, {
        startsAt: typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : null,
        durationMinutes: minutes !== null && /^\d{1,5}$/.test(minutes.trim()) ? Number(minutes) : null,
        impact: inputValue(view, WINDOW_BLOCKS.impact),
      }).record;
    } catch (error) {
      if (!isRotorError(error)) throw error;
      const blocks: Record<string, string> = { start: WINDOW_BLOCKS.start, duration: WINDOW_BLOCKS.duration, impact: WINDOW_BLOCKS.impact };
      await ack({ response_action: 'errors', errors: fieldErrors(error, (where) => blocks[where], WINDOW_BLOCKS.start) });
      return;
    }
    await ack();
    if (rootViewId) await showOrTell(deps, client, rootViewId, record, actor.userId);
    await refreshOthers(deps, client, record, actor.userId);
  });

  app.view(CALLBACK_IDS.rotationReason, async ({ ack, body, view, client }) => {
    await refreshRoleGroups(client, deps);
    const actor = slackActor(body.user.id);
    const text = inputValue(view, ROTATION_BLOCKS.reason);
    const confirmed = (view.state.values[ROTATION_BLOCKS.rollbackConfirmations]?.[FORM_VALUE_ACTION]?.selected_options ?? []).map(
      (option) => option.value,
    );
    const hasConfirmations = view.blocks.some((block) => block.block_id === ROTATION_BLOCKS.rollbackConfirmations);
    let metadata: ReasonMetadata;
    let record: RotationRecord | null = null;
    try {
      metadata = decodeReasonMetadata(view.private_metadata);
      // Quick transitions happen before the ack, so their refusals show on the field.
      if (metadata.purpose === 'note')
        record = rotation().tickStep(actor, metadata.rotationId, metadata.step ?? '', {
          note: text,
          expectedVersion: metadata.version ?? 0,
        });
      else if (metadata.purpose === 'by_hand')
        record = rotation().doByHand(actor, metadata.rotationId, metadata.step ?? '', {
          note: text,
          expectedVersion: metadata.version ?? 0,
        });
      else if (metadata.purpose === 'skip' || metadata.purpose === 'roll_forward')
        record = rotation().skipStep(actor, metadata.rotationId, metadata.step ?? '', {
          reason: text,
          expectedVersion: metadata.version ?? 0,
        });
      else if (metadata.purpose === 'window_override') record = deps.windows.override(actor, metadata.rotationId, text);
      else if (metadata.purpose === 'rollback') rotation().checkRollback(actor, metadata.rotationId, { reason: text, confirmed });
      else cleanNote(text, true, 'reason');
    } catch (error) {
      if (!isRotorError(error)) throw error;
      const blockFor = (where: string) =>
        where === 'confirmations' && hasConfirmations ? ROTATION_BLOCKS.rollbackConfirmations : ROTATION_BLOCKS.reason;
      await ack({ response_action: 'errors', errors: fieldErrors(error, blockFor, ROTATION_BLOCKS.reason) });
      return;
    }
    await ack();
    if (!record) record = await slowDecision(deps, client, actor, metadata, text, confirmed);
    if (!record) return;
    if (metadata.rootViewId) await showOrTell(deps, client, metadata.rootViewId, record, actor.userId);
    await refreshOthers(deps, client, record, actor.userId);
  });
}

/** Abandon, reject and roll back call the provider first; their failures are shown where the person is. */
async function slowDecision(
  deps: RotationViewDeps & Pick<SlackDeps, 'clock' | 'windows'>,
  client: WebClient,
  actor: SlackActor,
  metadata: ReasonMetadata,
  reason: string | null,
  confirmed: readonly string[],
): Promise<RotationRecord | null> {
  const { rotation } = deps;
  try {
    if (metadata.purpose === 'abandon' || metadata.purpose === 'abandon_by_hand') {
      return await rotation.abandon(actor, metadata.rotationId, {
        reason,
        expectedVersion: metadata.version ?? 0,
        cleanedByHand: metadata.purpose === 'abandon_by_hand',
      });
    }
    if (metadata.purpose === 'rollback') return await rotation.rollback(actor, metadata.rotationId, reason, confirmed);
    const rejected = await rotation.reject(actor, metadata.rotationId, reason);
    if (metadata.message) {
      const decided = approvalDecidedMessage(rejected, {
        kind: 'rejected',
        reason,
        at: deps.clock.now().toUTC().toISO() as string,
      });
      await client.chat.update({ channel: metadata.message.channel, ts: metadata.message.ts, text: decided.text, blocks: decided.blocks });
    }
    return rejected;
  } catch (error) {
    if (!isRotorError(error)) throw error;
    const flash =
      error instanceof RejectCleanupFailedError ? await askRotatorToCleanUp(deps, client, actor, error, reason) : flashFor(error);
    // Rotor could not undo what the rotation left at the provider: doing it by hand becomes a choice in the modal.
    const offerCleanedByHand = error instanceof CleanupFailedError && metadata.purpose === 'abandon';
    if (metadata.rootViewId)
      await showOrTell(deps, client, metadata.rootViewId, rotation.get(metadata.rotationId), actor.userId, { flash, offerCleanedByHand });
    else await client.chat.postMessage({ channel: actor.userId, ...textMessage(`:warning: ${flash.text}`) });
    return null;
  }
}

/**
 * A rejection whose cleanup failed: the rotator is asked, by DM, to clean up and abandon (the
 * by-hand choice is theirs), and the approver is told they were, or asked to tell them.
 */
async function askRotatorToCleanUp(
  deps: Pick<RotationViewDeps, 'logger'>,
  client: WebClient,
  actor: SlackActor,
  error: RejectCleanupFailedError,
  reason: string | null,
): Promise<Flash> {
  if (!error.rotator) return rejectCleanupFlash(error, false);
  try {
    await client.chat.postMessage({ channel: error.rotator, ...rejectCleanupRequestMessage(error, actor.userId, reason) });
    return rejectCleanupFlash(error, true);
  } catch (dmError) {
    if (!isSlackApiError(dmError)) throw dmError;
    deps.logger.warn(
      { code: slackErrorCode(dmError), secret: error.secretName },
      'could not ask the rotator to clean up after a rejection',
    );
    return rejectCleanupFlash(error, false);
  }
}
