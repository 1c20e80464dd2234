/**
 * A Workflow Builder step of Rotor's that Slack keeps waiting until Rotor says how it ended.
 * Slack knows the step by its function execution id; Rotor links that id to what the step
 * waits for (a rotation, a responder) and tells Slack exactly once when it is over.
 */
export const STEP_KINDS = ['rotate_secret', 'report_compromised_secret'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/**
 * - `waiting`: for its rotation to end, or for a responder;
 * - `settling`: its result is fixed and a follow-up is telling Slack;
 * - `completed` / `failed`: Slack took the success / the error;
 * - `gone`: Slack no longer runs the execution (not found, or no longer running), as it said.
 */
export const STEP_RUN_STATES = ['waiting', 'settling', 'completed', 'failed', 'gone'] as const;
export type StepRunState = (typeof STEP_RUN_STATES)[number];

/** Output values as the manifest declares them: strings (ids, dates and numbers as text). */
export type StepOutputs = Readonly<Record<string, string>>;

/** How a step ends: its outputs, or the error Slack shows in the workflow's activity. */
export type StepResult = { kind: 'success'; outputs: StepOutputs } | { kind: 'error'; error: string };

export interface StepRun {
  executionId: string;
  workflowExecutionId: string | null;
  kind: StepKind;
  secretName: string;
  /** Who the workflow named: the requester of a rotation, the reporter of a leak. */
  requestedBy: string;
  reason: string;
  /** The rotation a *Rotate secret* step follows, once one is open on its secret. */
  rotationId: number | null;
  state: StepRunState;
  /** What Slack is told, fixed once: a retry after a crash sends the same. */
  result: StepResult | null;
  /** What Slack answered when it did not take the result. */
  note: string | null;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
}

/**
 * What Slack answered a completion:
 * - `done`: it took it;
 * - `not_running`: `execution_not_in_running_state`: the execution is over (a completion sent
 *   before a crash, or the workflow was stopped);
 * - `not_found`: `function_execution_not_found`: Slack no longer knows it.
 */
export type CompletionAnswer = 'done' | 'not_running' | 'not_found';

/**
 * The port through which a step's end reaches Slack: functions.completeSuccess or completeError
 * with the bot's token. A failure worth retrying (rate limit, no answer) throws; the follow-up
 * is then run again and sends the same result.
 */
export interface StepCompleter {
  complete(executionId: string, result: StepResult): Promise<CompletionAnswer>;
}
