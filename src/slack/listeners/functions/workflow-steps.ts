import type { App, BlockButtonAction } from '@slack/bolt';
import { slackActor } from '../../../access/actor.js';
import { isRotorError, NotFoundError, RotorError } from '../../../core/errors.js';
import { optionalText, parseUserInput, requiredText } from '../../../workflow-steps/step-inputs.js';
import { stepErrorText } from '../../../workflow-steps/step-error.js';
import { secretStatus } from '../../../workflow-steps/secret-status.js';
import type { StepRun } from '../../../workflow-steps/step-run.js';
import { ACTION_IDS, FUNCTIONS, type FunctionCallbackId } from '../../ids.js';
import { toDeliveryError } from '../../outbound/delivery-errors.js';
import type { SlackDeps } from '../../slack-deps.js';
import { refreshRoleGroups } from '../../outbound/slack-user-groups.js';
import { workflowReportMessage, workflowRotationMessage } from '../../views/workflow-step-messages.js';
import type { ActionRegistry } from '../action-registry.js';
import { openRevokeConfirmation, type RevokeDeps } from '../commands/revoke-command.js';
import { openRotation, type RotationViewDeps } from '../rotation-views.js';

/** Every Workflow Builder step Rotor implements; manifest.yml's `functions` must declare exactly these. */
export const FUNCTION_CALLBACK_IDS: readonly FunctionCallbackId[] = Object.values(FUNCTIONS);

/**
 * Rotor's Workflow Builder steps, through Bolt's `app.function` (which acknowledges the
 * function_executed event first). A step refused at once (bad input, someone who may not,
 * an unknown secret) fails with the reason and changes nothing; a step that waits is ended
 * later, exactly once, by the follow-up its rotation or responder schedules.
 */
export function registerWorkflowSteps(
  app: App,
  actions: ActionRegistry,
  deps: RotationViewDeps & RevokeDeps & Pick<SlackDeps, 'workflowSteps' | 'inventory' | 'inventoryReader' | 'clock'>,
): void {
  const { workflowSteps } = deps;

  /**
   * Posts a waiting step's message. A post Slack refused fails the step, saying why; one that
   * may have gone through (no answer) leaves it waiting: `/rotate` and `/revoke` still reach it.
   */
  const tell = async (run: StepRun, post: () => Promise<unknown>, what: string): Promise<void> => {
    try {
      await post();
    } catch (error) {
      const failure = toDeliveryError(error);
      deps.logger.warn({ execution: run.executionId, failure: failure.failure, err: failure }, 'could not post a workflow step message');
      if (failure.failure !== 'ambiguous' && failure.failure !== 'rate_limited')
        workflowSteps.unreachable(run.executionId, `${what}: ${failure.message}.`);
    }
  };

  app.function(FUNCTIONS.rotateSecret, async ({ event, inputs, client, fail }) => {
    await refreshRoleGroups(client, deps);
    try {
      const { run, created } = workflowSteps.startRotation({
        executionId: event.function_execution_id,
        workflowExecutionId: event.workflow_execution_id ?? null,
        inputs,
      });
      if (created)
        await tell(
          run,
          () => client.chat.postMessage({ channel: run.requestedBy, ...workflowRotationMessage(run) }),
          `Rotor could not send ${run.requestedBy} the rotation of ${run.secretName}`,
        );
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await fail({ error: stepErrorText(error) });
    }
  });

  app.function(FUNCTIONS.secretStatus, async ({ inputs, complete, fail }) => {
    try {
      const askedBy = optionalText(inputs.asked_by);
      const viewer = askedBy === null ? null : slackActor(parseUserInput(askedBy, 'asked by'));
      const answer = secretStatus(
        { inventory: deps.inventory, reader: deps.inventoryReader, policy: deps.policy, clock: deps.clock },
        viewer,
        requiredText(inputs.secret_name, 'secret name'),
      );
      await complete({
        outputs: { status: answer.status, owner: answer.owner ?? '', last_rotated: answer.lastRotated ?? '', next_due: answer.nextDue },
      });
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await fail({ error: stepErrorText(error) });
    }
  });

  app.function(FUNCTIONS.reportCompromisedSecret, async ({ event, inputs, client, fail }) => {
    await refreshRoleGroups(client, deps);
    try {
      const channel = deps.policy.channels.incident[0];
      if (!channel)
        throw new RotorError('config', 'Rotor has no incident channel to report a leak to: add one to the policy (channels.incident).');
      const { run, created } = workflowSteps.startReport({
        executionId: event.function_execution_id,
        workflowExecutionId: event.workflow_execution_id ?? null,
        inputs,
      });
      if (created)
        await tell(
          run,
          () => client.chat.postMessage({ channel, ...workflowReportMessage(run) }),
          `Rotor could not post the report to the incident channel ${channel}`,
        );
    } catch (error) {
      if (!isRotorError(error)) throw error;
      await fail({ error: stepErrorText(error) });
    }
  });

  // A step the manifest declares but this Rotor does not implement (a manifest newer or older
  // than the code) would otherwise keep its workflow waiting for ever: it fails, saying why.
  app.event('function_executed', async ({ event, ack, client }) => {
    const callbackId = event.function.callback_id;
    if ((FUNCTION_CALLBACK_IDS as readonly string[]).includes(callbackId)) return;
    await ack();
    await client.functions.completeError({
      function_execution_id: event.function_execution_id,
      error: `Rotor does not implement the step "${callbackId}": update the app from this Rotor's manifest.yml, or upgrade Rotor.`,
    });
  });

  /** The step a function-scoped click belongs to: Slack names it in function_data. */
  const runOf = (body: BlockButtonAction, kind: StepRun['kind']): StepRun => {
    const run = body.function_data ? workflowSteps.get(body.function_data.execution_id) : null;
    if (!run || run.kind !== kind)
      throw new NotFoundError('This button belongs to a workflow step Rotor does not know; start the workflow again.');
    return run;
  };

  // The requester (or anyone allowed to rotate it) opens the rotation; the checks are /rotate's.
  actions.on<BlockButtonAction>(ACTION_IDS.workflowRotationOpen, async ({ ack, body, client }) => {
    await ack();
    await refreshRoleGroups(client, deps);
    const run = runOf(body, 'rotate_secret');
    await openRotation(deps, client, body.trigger_id, slackActor(body.user.id), run.secretName);
  });

  // A responder, in the incident channel, gets the /revoke confirmation; the step then completes, naming them.
  actions.on<BlockButtonAction>(ACTION_IDS.workflowRevocationOpen, async ({ ack, body, client }) => {
    await ack();
    await refreshRoleGroups(client, deps);
    const run = runOf(body, 'report_compromised_secret');
    const channel = body.channel?.id ?? String(body.container.channel_id ?? '');
    const actor = slackActor(body.user.id, channel);
    const secret = deps.revocation.revocable(actor, run.secretName);
    await openRevokeConfirmation(deps, client, body.trigger_id, actor, secret.name, run.reason, channel);
    if (workflowSteps.get(run.executionId)?.state === 'waiting') workflowSteps.responderTookUp(run.executionId, actor.userId);
  });
}
