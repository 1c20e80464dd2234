import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { slackActor, type SlackActor } from '../../access/actor.js';
import { isRotorError } from '../../core/errors.js';
import type { Secret } from '../../inventory/secret.js';
import type { RotationRecord } from '../../rotation/rotation.js';
import { isPlatformError, isSlackApiError, slackErrorCode, type ModalRefusalTarget } from '../errors.js';
import { decodeRotationMetadata, type RotationMetadata } from '../ids.js';
import { modalNotUpdatedMessage } from '../views/rotation/rotation-messages.js';
import type { SlackDeps } from '../slack-deps.js';
import { changedByFlash, flashFor, problemText } from '../views/rotation/rotation-flash.js';
import {
  rotationLoadingModal,
  rotationModal,
  rotationProblemModal,
  rotationStartModal,
  type Flash,
} from '../views/rotation/rotation-modal.js';

/** What opening, filling and refreshing a rotation modal uses. */
export type RotationViewDeps = Pick<SlackDeps, 'rotation' | 'rotationViews' | 'logger'>;

/**
 * The rotation modal's plumbing, shared by `/rotate`, the buttons and the submissions: assemble
 * a view's data from the services, and put it in Slack. The database is the truth and the modal
 * a view of it, so every update renders afresh from the record.
 */

/** Slack errors that mean the modal is gone (closed, or too old): nothing to update, nothing wrong. */
const VIEW_GONE = new Set(['not_found', 'view_not_found', 'expired_trigger_id']);

/** What a modal may show beyond the rotation itself. */
export interface RotationViewExtras {
  working?: string | null;
  flash?: Flash | null;
  offerCleanedByHand?: boolean;
}

/** `secret`: the rotation's secret, when the caller has just read it (RotationQueries.view). */
export function rotationView(
  deps: RotationViewDeps,
  record: RotationRecord,
  viewer: string,
  extras: RotationViewExtras = {},
  secret?: Secret,
): ModalView {
  return rotationModal({ ...deps.rotation.view(record, viewer, secret), ...extras });
}

/**
 * Updates a modal in place. With the hash Slack gave the listener, a modal someone else (another
 * tab) changed since is refused by Slack (`hash_conflict`); the fresh render then replaces it
 * anyway, because it is drawn from the database, not from the stale view.
 */
export async function updateModal(client: WebClient, viewId: string, view: ModalView, hash?: string): Promise<string | null> {
  try {
    const answer = await client.views.update({ view_id: viewId, view, ...(hash ? { hash } : {}) });
    return answer.view?.hash ?? null;
  } catch (error) {
    if (isPlatformError(error) && error.data.error === 'hash_conflict' && hash) return updateModal(client, viewId, view);
    if (isPlatformError(error) && VIEW_GONE.has(error.data.error)) return null;
    throw error;
  }
}

/** Shows a rotation in a modal and remembers that this person has it open. */
export async function showRotation(
  deps: RotationViewDeps,
  client: WebClient,
  viewId: string,
  record: RotationRecord,
  viewer: string,
  extras: RotationViewExtras & { hash?: string } = {},
  secret?: Secret,
): Promise<void> {
  await updateModal(client, viewId, rotationView(deps, record, viewer, extras, secret), extras.hash);
  deps.rotationViews.saveView(record.rotation.id, viewer, viewId);
}

/**
 * Shows the rotation in the person's modal; when Slack will not update it (an outage, a refused
 * view), tells them by DM what happened (the refusal, or that their change was recorded) and how
 * to see it, since a click inside a modal has no other way back to them.
 */
export async function showOrTell(
  deps: RotationViewDeps,
  client: WebClient,
  viewId: string,
  record: RotationRecord,
  viewer: string,
  extras: RotationViewExtras = {},
): Promise<void> {
  try {
    await showRotation(deps, client, viewId, record, viewer, extras);
  } catch (error) {
    if (!isSlackApiError(error)) throw error;
    deps.logger.warn(
      { code: slackErrorCode(error), rotation: record.rotation.id },
      'could not update a rotation modal; telling its viewer by DM',
    );
    await client.chat.postMessage({
      channel: viewer,
      ...modalNotUpdatedMessage(record.rotation.secretName, slackErrorCode(error), extras.flash ?? null),
    });
  }
}

/**
 * After a change by one person, the others with the rotation open see it too, told who changed
 * it (best effort: their modal may be closed).
 */
export async function refreshOthers(deps: RotationViewDeps, client: WebClient, record: RotationRecord, except: string): Promise<void> {
  for (const { userId, viewId } of deps.rotationViews.views(record.rotation.id)) {
    if (userId === except) continue;
    try {
      await updateModal(client, viewId, rotationView(deps, record, userId, { flash: changedByFlash(except) }));
    } catch (error) {
      deps.logger.debug({ code: slackErrorCode(error), rotation: record.rotation.id }, 'could not refresh another viewer of a rotation');
    }
  }
}

/**
 * `/rotate <name>` and every "open the rotation" button: the modal opens at once (a trigger_id
 * lives 3 seconds), then fills in with the open rotation, or with what starting one would do.
 */
export async function openRotation(
  deps: RotationViewDeps,
  client: WebClient,
  triggerId: string,
  actor: SlackActor,
  name: string,
  checked?: Secret,
): Promise<void> {
  const opened = await client.views.open({ trigger_id: triggerId, view: rotationLoadingModal(name, 'Checking') });
  const viewId = opened.view?.id;
  if (!viewId) return;
  await fillRotation(deps, client, viewId, actor, name, null, checked);
}

/**
 * Fills an open modal with the secret's rotation (or the start form), or with what went wrong.
 * `checked`: the secret as the caller's `rotatable` check returned it (see RotationStarts.prepare).
 */
export async function fillRotation(
  deps: RotationViewDeps,
  client: WebClient,
  viewId: string,
  actor: SlackActor,
  name: string,
  flash: Flash | null = null,
  checked?: Secret,
): Promise<void> {
  try {
    const opening = await deps.rotation.prepare(actor, name, checked);
    if (opening.kind === 'open') {
      await showRotation(deps, client, viewId, opening.record, actor.userId, { flash }, opening.secret);
      return;
    }
    const { rotation } = deps;
    const until = opening.recent ? rotation.rollbackOffer(opening.recent) : null;
    await updateModal(
      client,
      viewId,
      rotationStartModal({
        secret: opening.secret,
        checklist: opening.checklist,
        requiredApprovals: opening.requiredApprovals,
        preflight: opening.preflight,
        recent: opening.recent && until ? { record: opening.recent, rollbackUntil: until.toUTC().toISO() as string } : null,
        rejected: opening.rejected,
        rollbackInDoubt: opening.rollbackInDoubt,
        flash,
      }),
    );
  } catch (error) {
    if (!isRotorError(error)) throw error;
    await updateModal(client, viewId, rotationProblemModal(name, problemText(error)));
  }
}

/**
 * A click refused inside the rotation modal: the rotation it showed, as it now stands, with the
 * refusal on top; the start form with it when no rotation is open; the refusal alone when the
 * modal names no secret, or a rotation that does not exist (or its metadata cannot be read).
 */
export async function showRefusalInRotation(
  deps: RotationViewDeps,
  client: WebClient,
  error: unknown,
  target: ModalRefusalTarget,
): Promise<void> {
  const flash = flashFor(error);
  const metadata = readableMetadata(target.privateMetadata);
  const record = metadata?.rotationId != null ? deps.rotation.find(metadata.rotationId) : null;
  if (record) return showOrTell(deps, client, target.viewId, record, target.userId, { flash });
  if (metadata?.secret && metadata.rotationId === null)
    return fillRotation(deps, client, target.viewId, slackActor(target.userId), metadata.secret, flash);
  await updateModal(client, target.viewId, rotationProblemModal(metadata?.secret ?? '', flash.text));
}

function readableMetadata(privateMetadata: string): RotationMetadata | null {
  try {
    return decodeRotationMetadata(privateMetadata);
  } catch (error) {
    if (isRotorError(error)) return null;
    throw error;
  }
}
