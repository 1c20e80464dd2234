import type { StepRun } from '../../workflow-steps/step-run.js';
import { ACTION_IDS } from '../ids.js';
import { button, context, section } from './blocks.js';
import { LIMITS } from './block-kit-limits.js';
import { code, escapeWithin, mention } from './mrkdwn.js';
import type { SlackMessage } from './slack-message.js';

/**
 * The messages of Rotor's Workflow Builder steps. They are posted with the execution's own token,
 * so Slack sends their clicks with the step's function_data: the click knows its step.
 */

/** To the requester of a *Rotate secret* step: the workflow waits for this rotation. */
export function workflowRotationMessage(run: StepRun): SlackMessage {
  const text = `A workflow asks you to rotate ${code(run.secretName)}.`;
  return {
    text,
    blocks: [
      section(`:arrows_counterclockwise: ${text}\n>${escapeWithin(run.reason, LIMITS.sectionText - 200)}`),
      { type: 'actions', elements: [button(ACTION_IDS.workflowRotationOpen, 'Open the rotation', run.secretName, 'primary')] },
      context(
        'The workflow goes on when the rotation is completed, and stops if it is abandoned, rejected or rolled back. `/rotate` opens the same rotation.',
      ),
    ],
  };
}

/** In the incident channel, for a *Report a compromised secret* step: a responder takes it up. */
export function workflowReportMessage(run: StepRun): SlackMessage {
  const text = `${mention(run.requestedBy)} reports ${code(run.secretName)} compromised, through a workflow.`;
  return {
    text,
    blocks: [
      section(`:rotating_light: ${text}\n>${escapeWithin(run.reason, LIMITS.sectionText - 200)}`),
      { type: 'actions', elements: [button(ACTION_IDS.workflowRevocationOpen, 'Review and revoke', run.secretName, 'danger')] },
      context('A responder opens the `/revoke` confirmation from here; nothing is revoked until they confirm it.'),
    ],
  };
}
