import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import type { StepKind, StepResult, StepRun, StepRunState } from './step-run.js';

interface StepRunRow {
  execution_id: string;
  workflow_execution_id: string | null;
  step: string;
  secret_name: string;
  requested_by: string | null;
  reason: string;
  rotation_id: number | null;
  state: string;
  sealed_token: string | null;
  token_expires_at: string | null;
  message_channel: string | null;
  message_ts: string | null;
  view_id: string | null;
  result: string | null;
  claim_token: string | null;
  claimed_at: string | null;
  attempts: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
}

function fromRow(row: StepRunRow): StepRun {
  return {
    executionId: row.execution_id,
    workflowExecutionId: row.workflow_execution_id,
    kind: row.step as StepKind,
    secretName: row.secret_name,
    requestedBy: row.requested_by,
    reason: row.reason,
    rotationId: row.rotation_id,
    state: row.state as StepRunState,
    sealedToken: row.sealed_token,
    tokenExpiresAt: row.token_expires_at,
    message: row.message_channel && row.message_ts ? { channel: row.message_channel, ts: row.message_ts } : null,
    viewId: row.view_id,
    result: row.result === null ? null : (JSON.parse(row.result) as StepResult),
    claimToken: row.claim_token,
    claimedAt: row.claimed_at,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    endedAt: row.ended_at,
  };
}

export interface NewStepRun {
  executionId: string;
  workflowExecutionId: string | null;
  kind: StepKind;
  secretName: string;
  requestedBy: string | null;
  reason: string;
  sealedToken: string | null;
  tokenExpiresAt: string | null;
}

/**
 * The runs of Rotor's workflow steps. Every change after the insert is conditional on the state
 * it expects (and a claim on its token), so of two processes or two clicks exactly one moves a run.
 */
export class StepRunRepo {
  constructor(private readonly db: Db) {}

  insert(run: NewStepRun, now: string): void {
    statement(
      this.db,
      `INSERT INTO workflow_step_runs (execution_id, workflow_execution_id, step, secret_name, requested_by, reason, state, sealed_token, token_expires_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?)`,
    ).run(run.executionId, run.workflowExecutionId, run.kind, run.secretName, run.requestedBy, run.reason, run.sealedToken, run.tokenExpiresAt, now, now);
  }

  get(executionId: string): StepRun | null {
    const row = statement(this.db, 'SELECT * FROM workflow_step_runs WHERE execution_id = ?').get(executionId) as StepRunRow | undefined;
    return row ? fromRow(row) : null;
  }

  byView(viewId: string): StepRun | null {
    const row = statement(this.db, 'SELECT * FROM workflow_step_runs WHERE view_id = ? ORDER BY created_at DESC LIMIT 1').get(viewId) as StepRunRow | undefined;
    return row ? fromRow(row) : null;
  }

  /** Runs still to complete: waiting, or claimed by a process that stopped before `staleBefore`. */
  unfinished(staleBefore: string): StepRun[] {
    const rows = statement(
      this.db,
      `SELECT * FROM workflow_step_runs WHERE state = 'waiting' OR (state = 'completing' AND claimed_at < ?) ORDER BY created_at, execution_id`,
    ).all(staleBefore) as StepRunRow[];
    return rows.map(fromRow);
  }

  /** Links a waiting run to the rotation it follows; false when it already follows one. */
  attach(executionId: string, rotationId: number, now: string): boolean {
    return (
      statement(this.db, `UPDATE workflow_step_runs SET rotation_id = ?, updated_at = ? WHERE execution_id = ? AND rotation_id IS NULL AND state = 'waiting'`).run(rotationId, now, executionId)
        .changes === 1
    );
  }

  setMessage(executionId: string, channel: string, ts: string, now: string): void {
    statement(this.db, 'UPDATE workflow_step_runs SET message_channel = ?, message_ts = ?, updated_at = ? WHERE execution_id = ?').run(channel, ts, now, executionId);
  }

  setView(executionId: string, viewId: string, now: string): void {
    statement(this.db, `UPDATE workflow_step_runs SET view_id = ?, updated_at = ? WHERE execution_id = ? AND state = 'waiting'`).run(viewId, now, executionId);
  }

  /** Keeps the newest token Slack gave the execution (each click on its message brings one). */
  refreshToken(executionId: string, sealedToken: string, expiresAt: string, now: string): void {
    statement(this.db, `UPDATE workflow_step_runs SET sealed_token = ?, token_expires_at = ?, updated_at = ? WHERE execution_id = ? AND state IN ('waiting', 'completing')`).run(
      sealedToken,
      expiresAt,
      now,
      executionId,
    );
  }

  /** Forgets the tokens Slack has revoked by now: they could complete nothing, and are not kept. */
  dropExpiredTokens(now: string): number {
    return statement(this.db, 'UPDATE workflow_step_runs SET sealed_token = NULL, token_expires_at = NULL WHERE token_expires_at IS NOT NULL AND token_expires_at <= ?').run(now).changes;
  }

  /**
   * Claims a run to tell Slack how it ended: from waiting, or from a claim older than
   * `staleBefore` (its process stopped mid-call). The result is fixed at the first claim, so a
   * retry sends what the first attempt may already have sent. Counts the attempt.
   */
  claim(executionId: string, claimToken: string, result: StepResult, now: string, staleBefore: string): boolean {
    return (
      statement(
        this.db,
        `UPDATE workflow_step_runs SET state = 'completing', claim_token = ?, claimed_at = ?, result = coalesce(result, ?), attempts = attempts + 1, updated_at = ?
         WHERE execution_id = ? AND (state = 'waiting' OR (state = 'completing' AND claimed_at < ?))`,
      ).run(claimToken, now, JSON.stringify(result), now, executionId, staleBefore).changes === 1
    );
  }

  /** Gives a claimed run back after a call Slack did not take (or did not answer): a later run retries it. */
  release(executionId: string, claimToken: string, error: string, now: string): boolean {
    return (
      statement(this.db, `UPDATE workflow_step_runs SET state = 'waiting', claim_token = NULL, claimed_at = NULL, last_error = ?, updated_at = ? WHERE execution_id = ? AND claim_token = ? AND state = 'completing'`).run(
        error,
        now,
        executionId,
        claimToken,
      ).changes === 1
    );
  }

  /** Ends a claimed run as Slack answered; its token is no longer needed and is dropped. */
  end(executionId: string, claimToken: string, state: Extract<StepRunState, 'completed' | 'failed' | 'gone'>, note: string | null, now: string): boolean {
    return (
      statement(
        this.db,
        `UPDATE workflow_step_runs SET state = ?, last_error = ?, sealed_token = NULL, token_expires_at = NULL, claim_token = NULL, ended_at = ?, updated_at = ?
         WHERE execution_id = ? AND claim_token = ? AND state = 'completing'`,
      ).run(state, note, now, now, executionId, claimToken).changes === 1
    );
  }
}
