import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import type { StepKind, StepResult, StepRun, StepRunState } from './step-run.js';

interface StepRunRow {
  execution_id: string;
  workflow_execution_id: string | null;
  step: string;
  secret_name: string;
  requested_by: string;
  reason: string;
  rotation_id: number | null;
  state: string;
  result: string | null;
  note: string | null;
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
    result: row.result === null ? null : (JSON.parse(row.result) as StepResult),
    note: row.note,
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
  requestedBy: string;
  reason: string;
  rotationId: number | null;
}

/**
 * The runs of Rotor's workflow steps. Every change after the insert is conditional on the state
 * it expects, so of two processes or two clicks exactly one moves a run.
 */
export class StepRunRepo {
  constructor(private readonly db: Db) {}

  /** False when Slack sent the same execution before (a retried event): the first run stands. */
  insert(run: NewStepRun, now: string): boolean {
    return (
      statement(
        this.db,
        `INSERT INTO workflow_step_runs (execution_id, workflow_execution_id, step, secret_name, requested_by, reason, rotation_id, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?) ON CONFLICT (execution_id) DO NOTHING`,
      ).run(run.executionId, run.workflowExecutionId, run.kind, run.secretName, run.requestedBy, run.reason, run.rotationId, now, now)
        .changes === 1
    );
  }

  get(executionId: string): StepRun | null {
    const row = statement(this.db, 'SELECT * FROM workflow_step_runs WHERE execution_id = ?').get(executionId) as StepRunRow | undefined;
    return row ? fromRow(row) : null;
  }

  /** The *Rotate secret* runs waiting on a secret's rotation: the one given, or any not yet linked. */
  waitingOnRotation(secretName: string, rotationId: number): StepRun[] {
    const rows = statement(
      this.db,
      `SELECT * FROM workflow_step_runs WHERE state = 'waiting' AND step = 'rotate_secret' AND secret_name = ? AND (rotation_id IS NULL OR rotation_id = ?) ORDER BY created_at, execution_id`,
    ).all(secretName, rotationId) as StepRunRow[];
    return rows.map(fromRow);
  }

  /** Links a waiting run to the rotation it follows; false when it already follows one. */
  attach(executionId: string, rotationId: number, now: string): boolean {
    return (
      statement(
        this.db,
        `UPDATE workflow_step_runs SET rotation_id = ?, updated_at = ? WHERE execution_id = ? AND rotation_id IS NULL AND state = 'waiting'`,
      ).run(rotationId, now, executionId).changes === 1
    );
  }

  /** Fixes a waiting run's result (waiting → settling); false when it is no longer waiting. */
  settle(executionId: string, result: StepResult, now: string): boolean {
    return (
      statement(
        this.db,
        `UPDATE workflow_step_runs SET state = 'settling', result = ?, updated_at = ? WHERE execution_id = ? AND state = 'waiting'`,
      ).run(JSON.stringify(result), now, executionId).changes === 1
    );
  }

  /** Ends a settling run as Slack answered. */
  end(executionId: string, state: Extract<StepRunState, 'completed' | 'failed' | 'gone'>, note: string | null, now: string): boolean {
    return (
      statement(
        this.db,
        `UPDATE workflow_step_runs SET state = ?, note = ?, ended_at = ?, updated_at = ? WHERE execution_id = ? AND state = 'settling'`,
      ).run(state, note, now, now, executionId).changes === 1
    );
  }
}
