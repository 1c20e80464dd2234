import type { MessageRef } from '../core/delivery.js';

/**
 * A Workflow Builder step of Rotor's that Slack keeps waiting until Rotor says how it ended.
 * Slack knows the step by its function execution id; Rotor links that id to what the step
 * waits for (a rotation, a confirmed revocation) and tells Slack exactly once when it is over.
 */
export const STEP_KINDS = ['rotate_secret', 'report_compromised_secret'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/**
 * - `waiting`: for its rotation to end, or for a responder;
 * - `completing`: claimed by one process, which is telling Slack;
 * - `completed` / `failed`: Slack took the success / the error;
 * - `gone`: Slack no longer runs the execution (not found, or finished elsewhere), as it said.
 */
export const STEP_RUN_STATES = ['waiting', 'completing', 'completed', 'failed', 'gone'] as const;
export type StepRunState = (typeof STEP_RUN_STATES)[number];

/** Output values as the manifest declares them: strings, Slack ids and dates as strings, numbers. */
export type StepOutputs = Readonly<Record<string, string | number>>;

/** How a step ends: its outputs, or the error Slack shows in the workflow's activity. */
export type StepResult = { kind: 'success'; outputs: StepOutputs } | { kind: 'error'; error: string };

export interface StepRun {
  executionId: string;
  workflowExecutionId: string | null;
  kind: StepKind;
  secretName: string;
  /** Who the workflow named: the requester of a rotation, the reporter of a leak. */
  requestedBy: string | null;
  reason: string;
  /** The rotation a *Rotate secret* step follows, once one is open on its secret. */
  rotationId: number | null;
  state: StepRunState;
  /** Slack's token for the execution, sealed (never stored or logged as it came), while it lives. */
  sealedToken: string | null;
  tokenExpiresAt: string | null;
  /** The message that tells people about the step: the requester's DM, the incident channel post. */
  message: MessageRef | null;
  /** The revocation confirmation a responder opened from a report. */
  viewId: string | null;
  /** What Slack is told, fixed when the run is first claimed: a retry sends the same. */
  result: StepResult | null;
  claimToken: string | null;
  claimedAt: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
}

/**
 * What Slack answered a completion:
 * - `done`: it took it;
 * - `not_running`: `execution_not_in_running_state`: the execution is over (a completion Rotor
 *   sent before a crash, or Slack's own timeout);
 * - `not_found`: `function_execution_not_found`: Slack no longer knows it.
 */
export type CompletionAnswer = 'done' | 'not_running' | 'not_found';

/**
 * The port through which a step's end reaches Slack: functions.completeSuccess or
 * completeError, with the execution's own token while it lives (else the bot's), then the
 * step's message redrawn to say how it ended. A failure Slack may retry (rate limit, no answer)
 * throws a DeliveryError; the run is then claimed again later and the same result sent.
 */
export interface StepCompleter {
  complete(run: StepRun, result: StepResult): Promise<CompletionAnswer>;
}
