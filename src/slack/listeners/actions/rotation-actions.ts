import type { BlockAction, BlockButtonAction, BlockStaticSelectAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { slackActor, type SlackActor } from '../../../access/actor.js';
import { isRotorError, NotFoundError, type RotorError } from '../../../core/errors.js';
import { slackErrorCode } from '../../errors.js';
import type { RotationRecord } from '../../../rotation/rotation.js';
import { ACTION_IDS, CALLBACK_IDS, decodePickedSecret, decodeRotationMetadata, decodeRotationRef, type ReasonPurpose } from '../../ids.js';
import { approvalDecidedMessage, removalDoneMessage } from '../../views/rotation/rotation-messages.js';
import { flashFor } from '../../views/rotation/rotation-flash.js';
import { rotationLoadingModal, rotationReasonModal, type Flash } from '../../views/rotation/rotation-modal.js';
import { code } from '../../views/mrkdwn.js';
import { planStartedMessage } from '../../views/plan-messages.js';
import { windowPlanModal } from '../../views/rotation/window-views.js';
import type { ActionRegistry } from '../action-registry.js';
import { clickedMessage, replaceClickedMessage } from './clicked-message.js';
import { publishHome, type HomeDeps } from '../events/app-home-opened.js';
import type { SlackDeps } from '../../slack-deps.js';
import {
  fillRotation,
  openRotation,
  refreshOthers,
  showOrTell,
  showRefusalInRotation,
  showRotation,
  updateModal,
  type RotationViewDeps,
} from '../rotation-views.js';
import { refreshRoleGroups, type RoleGroupDeps } from '../../outbound/slack-user-groups.js';

/** A click inside the rotation modal: who, which modal, and the rotation and version it showed. */
interface ModalClick {
  actor: SlackActor;
  viewId: string;
  hash: string;
  secret: string;
  rotationId: number | null;
  version: number | null;
}

/** The click, or null outside a modal; a modal whose metadata is not Rotor's is refused, and the error handler says so in it. */
function modalClick(body: BlockAction): ModalClick | null {
  const view = body.view;
  if (!view) return null;
  const metadata = decodeRotationMetadata(view.private_metadata);
  return {
    actor: slackActor(body.user.id),
    viewId: view.id,
    hash: view.hash,
    secret: metadata.secret,
    rotationId: metadata.rotationId,
    version: metadata.version,
  };
}

/**
 * The rotation's buttons: in the modal (steps, complete, abandon, continue, refresh, roll back),
 * in DMs (approve, reject, remove the previous version) and anywhere a rotation can be opened
 * from (reminders, the App Home). Each one acks, calls one RotationService method with the
 * clicking person as the actor, and redraws from the database; a refusal shows on top of the
 * rotation as it now stands.
 */
export function registerRotationActions(
  actions: ActionRegistry,
  deps: RotationViewDeps & HomeDeps & Pick<SlackDeps, 'plans' | 'windows'> & RoleGroupDeps,
): void {
  const rotation = () => deps.rotation;
  actions.onRefusalInModal(CALLBACK_IDS.rotation, (error, target, client) => showRefusalInRotation(deps, client, error, target));

  /**
   * Runs `work` for a click in the modal and shows where the rotation stands: with the failure it
   * recorded when it returns one (a provider step that failed), and to the others who have it open
   * when something changed. A refusal `work` throws is shown by the error handler, through
   * showRefusalInRotation.
   */
  const inModal = async (
    body: BlockAction,
    client: WebClient,
    work: (
      click: ModalClick & { rotationId: number; version: number },
    ) => Promise<RotationRecord | { record: RotationRecord; error: RotorError }>,
  ) => {
    const click = modalClick(body);
    if (!click) return;
    if (click.rotationId === null || click.version === null) return fillRotation(deps, client, click.viewId, click.actor, click.secret);
    const { rotationId, version } = click;
    const outcome = await work({ ...click, rotationId, version });
    const { record, error } = 'record' in outcome ? outcome : { record: outcome, error: null };
    await showOrTell(deps, client, click.viewId, record, click.actor.userId, { flash: error ? flashFor(error) : null });
    await refreshOthers(deps, client, record, click.actor.userId);
  };

  /** Pushes the note / reason form on top of the rotation modal. */
  const askReason = async (body: BlockAction, client: WebClient, purpose: ReasonPurpose, step: string | null) => {
    const click = modalClick(body);
    if (!click || click.rotationId === null) return;
    const record = rotation().find(click.rotationId);
    if (!record) throw new NotFoundError(`No rotation #${click.rotationId}.`);
    const stepTitle = step ? (record.steps.find((candidate) => candidate.id === step)?.title ?? null) : null;
    await client.views.push({
      trigger_id: body.trigger_id,
      view: rotationReasonModal(
        { purpose, rotationId: click.rotationId, version: click.version, step, rootViewId: click.viewId, message: null },
        { secretName: record.rotation.secretName, stepTitle },
      ),
    });
  };

  actions.on<BlockButtonAction>(ACTION_IDS.rotationRunStep, async ({ ack, action, body, client }) => {
    await ack();
    await inModal(body, client, async (click) => {
      const { record, error } = await rotation().runStep(click.actor, click.rotationId, action.value ?? '', {
        expectedVersion: click.version,
        // Slow provider calls show a working state first; the result replaces it. Slack refusing
        // that update must not stop the step: it is already marked running, and would stay so.
        onStarted: (running) =>
          showRotation(deps, client, click.viewId, running, click.actor.userId, { working: action.value ?? null, hash: click.hash }).catch(
            (showError: unknown) =>
              deps.logger.warn(
                { code: slackErrorCode(showError), rotation: click.rotationId },
                'could not show the working state of a rotation step',
              ),
          ),
      });
      return error ? { record, error } : record;
    });
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationCheckStep, async ({ ack, action, body, client }) => {
    await ack();
    await inModal(body, client, async (click) => {
      const { record, error } = await rotation().checkStep(click.actor, click.rotationId, action.value ?? '', {
        expectedVersion: click.version,
      });
      return error ? { record, error } : record;
    });
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationTickStep, async ({ ack, action, body, client }) => {
    await ack();
    await inModal(body, client, async (click) =>
      rotation().tickStep(click.actor, click.rotationId, action.value ?? '', { expectedVersion: click.version }),
    );
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationNoteStep, async ({ ack, action, body, client }) => {
    await ack();
    await askReason(body, client, 'note', action.value ?? null);
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationSkipStep, async ({ ack, action, body, client }) => {
    await ack();
    await askReason(body, client, 'skip', action.value ?? null);
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationByHandStep, async ({ ack, action, body, client }) => {
    await ack();
    await askReason(body, client, 'by_hand', action.value ?? null);
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationRollForward, async ({ ack, action, body, client }) => {
    await ack();
    await askReason(body, client, 'roll_forward', action.value ?? null);
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationComplete, async ({ ack, body, client }) => {
    await ack();
    await inModal(body, client, async (click) => rotation().complete(click.actor, click.rotationId, click.version));
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationTakeOver, async ({ ack, body, client }) => {
    await ack();
    await inModal(body, client, async (click) => rotation().takeOver(click.actor, click.rotationId, click.version));
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationRefresh, async ({ ack, body, client }) => {
    await ack();
    await inModal(body, client, async (click) => rotation().get(click.rotationId));
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationAbandon, async ({ ack, body, client }) => {
    await ack();
    await askReason(body, client, 'abandon', null);
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationAbandonByHand, async ({ ack, body, client }) => {
    await ack();
    await askReason(body, client, 'abandon_by_hand', null);
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationRollback, async ({ ack, action, body, client }) => {
    await ack();
    const click = modalClick(body);
    if (!click) return;
    const rotationId = decodeRotationRef(action.value ?? '');
    const record = rotation().get(rotationId);
    // Refused here, before the form: a rollback that may not happen asks for nothing.
    const plan = rotation().rollbackPlanFor(click.actor, rotationId);
    await client.views.push({
      trigger_id: body.trigger_id,
      view: rotationReasonModal(
        { purpose: 'rollback', rotationId, version: null, step: null, rootViewId: click.viewId, message: null },
        { secretName: record.rotation.secretName, stepTitle: null },
        plan,
      ),
    });
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationPlanWindow, async ({ ack, action, body, client }) => {
    await ack();
    const click = modalClick(body);
    if (!click) return;
    const rotationId = decodeRotationRef(action.value ?? '');
    const record = rotation().get(rotationId);
    // Refused here, before the form: someone who may not rotate the secret plans nothing.
    rotation().rotatable(click.actor, record.rotation.secretName);
    await client.views.push({
      trigger_id: body.trigger_id,
      view: windowPlanModal({ rotationId, rootViewId: click.viewId }, record.rotation.secretName, rotation().windowOf(rotationId)),
    });
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationOverrideWindow, async ({ ack, action, body, client }) => {
    await ack();
    const click = modalClick(body);
    if (!click) return;
    const rotationId = decodeRotationRef(action.value ?? '');
    const record = rotation().get(rotationId);
    await client.views.push({
      trigger_id: body.trigger_id,
      view: rotationReasonModal(
        { purpose: 'window_override', rotationId, version: null, step: null, rootViewId: click.viewId, message: null },
        { secretName: record.rotation.secretName, stepTitle: null },
      ),
    });
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationCheckRollback, async ({ ack, action, body, client }) => {
    await ack();
    const click = modalClick(body);
    if (!click) return;
    let flash: Flash | null = null;
    let name = click.secret;
    try {
      const rotationId = decodeRotationRef(action.value ?? '');
      name = rotation().get(rotationId).rotation.secretName;
      const settled = await rotation().checkRollbackStore(click.actor, rotationId);
      flash =
        settled.rotation.state === 'rolled_back'
          ? {
              kind: 'info',
              text: `The store had moved back: the rotation of ${code(settled.rotation.secretName)} is recorded rolled back.`,
            }
          : { kind: 'info', text: `The store did not move back: the rotation of ${code(settled.rotation.secretName)} stays completed.` };
    } catch (error) {
      if (!isRotorError(error)) throw error;
      flash = flashFor(error);
    }
    await fillRotation(deps, client, click.viewId, click.actor, name, flash);
  });

  actions.on<BlockStaticSelectAction>(ACTION_IDS.rotationPick, async ({ ack, action, body, client }) => {
    await ack();
    const click = modalClick(body);
    if (!click) return;
    const name = rotation().picked(click.actor, decodePickedSecret(action.selected_option.value)).name;
    await updateModal(client, click.viewId, rotationLoadingModal(name, 'Checking'), click.hash);
    await fillRotation(deps, client, click.viewId, click.actor, name);
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationOpen, async ({ ack, action, body, client }) => {
    await ack();
    await openRotation(deps, client, body.trigger_id, slackActor(body.user.id), action.value ?? '');
  });

  const fromHome = (body: BlockAction) => body.view?.type === 'home';

  /** A click in the rotation modal itself (an approver who opened the checklist), not in a DM or the App Home. */
  const inRotationModal = (body: BlockAction) => body.view?.type === 'modal' && body.view.callback_id === CALLBACK_IDS.rotation;

  actions.on<BlockButtonAction>(ACTION_IDS.planStart, async ({ ack, action, body, client, respond }) => {
    await ack();
    // A refusal is said by answerErrorsWhereAsked: ephemerally under the message, or by DM from the App Home.
    const plan = deps.plans.start(slackActor(body.user.id), action.value ?? '');
    const message = planStartedMessage(plan);
    if (respond) await respond({ response_type: 'ephemeral', replace_original: true, ...message });
    else await client.chat.postMessage({ channel: body.user.id, ...message });
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationApprove, async ({ ack, action, body, client }) => {
    await ack();
    await refreshRoleGroups(client, deps);
    if (inRotationModal(body))
      return inModal(body, client, async (click) => rotation().approve(click.actor, decodeRotationRef(action.value ?? '')));
    const record = rotation().approve(slackActor(body.user.id), decodeRotationRef(action.value ?? ''));
    await replaceClickedMessage(
      client,
      body,
      approvalDecidedMessage(record, { kind: 'approved', reason: null, at: deps.clock.now().toUTC().toISO() as string }),
    );
    // Approved from the App Home: the tab is redrawn, so its Approve button goes away.
    if (fromHome(body)) await publishHome(deps, client, body.user.id);
    await refreshOthers(deps, client, record, body.user.id);
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationReject, async ({ ack, action, body, client }) => {
    await ack();
    const rotationId = decodeRotationRef(action.value ?? '');
    if (inRotationModal(body)) {
      // From the checklist: the reason form goes on top of it, and the checklist is redrawn after.
      const click = modalClick(body);
      const record = click ? rotation().find(rotationId) : null;
      if (!click || !record) return;
      await client.views.push({
        trigger_id: body.trigger_id,
        view: rotationReasonModal(
          { purpose: 'reject', rotationId, version: null, step: null, rootViewId: click.viewId, message: null },
          { secretName: record.rotation.secretName, stepTitle: null },
        ),
      });
      return;
    }
    const record = rotation().get(rotationId);
    await client.views.open({
      trigger_id: body.trigger_id,
      view: rotationReasonModal(
        { purpose: 'reject', rotationId, version: null, step: null, rootViewId: null, message: clickedMessage(body) },
        { secretName: record.rotation.secretName, stepTitle: null },
      ),
    });
  });

  actions.on<BlockButtonAction>(ACTION_IDS.rotationRemovePrevious, async ({ ack, action, body, client }) => {
    await ack();
    const record = await rotation().removePrevious(slackActor(body.user.id), decodeRotationRef(action.value ?? ''));
    await replaceClickedMessage(client, body, removalDoneMessage(record, body.user.id));
  });
}
