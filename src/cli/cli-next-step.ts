import { overrideCloseCommand, slashCommandOf, type ActionStep, type NextStepWords, type PersonAction } from '../core/next-step.js';

/** An action's button by its label, for the actions the CLI has no command for: they are done in Slack. */
const BUTTON_LABELS: Readonly<Record<Exclude<PersonAction, 'override_close'>, string>> = {
  check_store: 'Check the store',
  run_step: "the step's button",
  create_version: 'Try again: Create new version',
  detect_version: 'Try again: Detect new version',
  run_store_rotation: 'Try again: Run / check the rotation',
  promote: 'Try again: Promote',
  abandon: 'Abandon…',
  abandon_by_hand: 'Abandon: cleaned up by hand…',
  retry_incident: "Retry on the incident's status message",
};

/**
 * How the CLI says an action: the `rotor` command that does the same, where there is one;
 * otherwise the button by its label, in Slack, where the action is done.
 */
export function cliActionOf(step: ActionStep): string {
  if (step.action === 'override_close') return `\`${overrideCloseCommand(step)}\``;
  const label = BUTTON_LABELS[step.action];
  // Cleaned up by hand is offered as a choice once Abandon could not clean up.
  if (step.action === 'abandon_by_hand') return `choose “${label}” in Slack`;
  return step.action === 'run_step' || step.action === 'retry_incident' ? `press ${label} in Slack` : `press “${label}” in Slack`;
}

/** The CLI's words for next steps: commands as the slash command (they are run in Slack), actions as above. */
export const CLI_NEXT_STEP_WORDS: NextStepWords = { command: slashCommandOf, action: cliActionOf };
