import type { App } from '@slack/bolt';
import { COMMANDS, type CommandName } from '../ids.js';
import type { SlackDeps } from '../slack-deps.js';
import { ActionRegistry } from './action-registry.js';
import { registerAccessReviewActions } from './actions/access-review-actions.js';
import { registerIncidentActions } from './actions/incident-actions.js';
import { registerListMoreAction } from './actions/list-more-action.js';
import { registerReferenceActions } from './actions/reference-actions.js';
import { registerReminderActions } from './actions/reminder-actions.js';
import { registerRotationActions } from './actions/rotation-actions.js';
import { registerStaleActions } from './actions/stale-action.js';
import { registerRevokeCommand } from './commands/revoke-command.js';
import { registerRotateCommand } from './commands/rotate-command.js';
import { registerSecretsCommand } from './commands/secrets-command.js';
import { registerAppHome } from './events/app-home-opened.js';
import { registerWorkflowSteps } from './functions/workflow-steps.js';
import { registerUserChange } from './events/user-change.js';
import { registerIncidentSubmissions } from './views/incident-submissions.js';
import { registerRotationSubmissions } from './views/rotation-submissions.js';
import { registerSecretFormSubmissions } from './views/secret-form-submission.js';

/** Every slash command Rotor answers, with its listener; manifest.yml must declare exactly these. */
export const COMMAND_LISTENERS: Readonly<Record<CommandName, (app: App, deps: SlackDeps) => void>> = {
  [COMMANDS.secrets]: registerSecretsCommand,
  [COMMANDS.rotate]: registerRotateCommand,
  [COMMANDS.revoke]: registerRevokeCommand,
};

/** Events Rotor subscribes to; manifest.yml's bot_events must list exactly these (function_executed: the Workflow Builder steps, through app.function). */
export const SUBSCRIBED_EVENTS = ['app_home_opened', 'function_executed', 'user_change'] as const;

/** Registers every listener; returns the registry of handled action ids (the stale-button catch-all is derived from it). */
export function registerListeners(app: App, deps: SlackDeps): ActionRegistry {
  const actions = new ActionRegistry(app);
  for (const register of Object.values(COMMAND_LISTENERS)) register(app, deps);
  registerListMoreAction(actions, deps);
  registerReminderActions(app, actions, deps);
  registerRotationActions(actions, deps);
  registerIncidentActions(actions, deps);
  registerReferenceActions(actions, deps);
  registerAccessReviewActions(actions, deps);
  registerWorkflowSteps(app, actions, deps);
  registerStaleActions(actions);
  registerSecretFormSubmissions(app, deps);
  registerRotationSubmissions(app, deps);
  registerIncidentSubmissions(app, deps);
  registerAppHome(app, deps);
  registerUserChange(app, deps);
  return actions;
}
