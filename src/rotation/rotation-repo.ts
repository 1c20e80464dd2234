import type { NextStep } from '../core/next-step.js';
import type { Lifecycle, ProviderKind } from '../inventory/secret.js';
import type { Db } from '../storage/database.js';
import { setClause } from '../storage/set-clause.js';
import { statement } from '../storage/statements.js';
import { uniqueInsert } from '../storage/unique-conflict.js';
import type { ChecklistStep } from './checklists/checklist-step.js';
import type { ChecklistSource } from './checklists/resolve-checklist.js';
import type {
  Approval,
  ApproverRole,
  PreflightCheck,
  Rotation,
  RotationKind,
  RotationReason,
  RotationRecord,
  RotationState,
  RotationStep,
} from './rotation.js';

interface RotationRow {
  id: number;
  secret_id: number;
  secret_name: string;
  kind: string;
  reason: string | null;
  state: string;
  version: number;
  ticket: string | null;
  environment: string;
  provider: string;
  provider_ref: string | null;
  required_approvals: string;
  checklist_source: string;
  preflight: string;
  started_by: string;
  started_at: string;
  held_by: string;
  updated_at: string;
  previous_version_id: string | null;
  previous_fingerprint: string | null;
  new_version_id: string | null;
  new_fingerprint: string | null;
  placeholder_version_id: string | null;
  promoted_at: string | null;
  verified_at: string | null;
  previous_last_rotated: string | null;
  previous_next_rotation: string;
  previous_lifecycle: string;
  completed_at: string | null;
  ended_at: string | null;
  ended_by: string | null;
  end_reason: string | null;
  break_glass_by: string | null;
  break_glass_reason: string | null;
  incident_id: number | null;
}

interface StepRow {
  rotation_id: number;
  position: number;
  step_id: string;
  title: string;
  detail: string | null;
  action: string | null;
  required: number;
  gate: string | null;
  state: string;
  started_at: string | null;
  done_by: string | null;
  done_at: string | null;
  note: string | null;
  skip_reason: string | null;
  result: string | null;
  attempts: number;
  last_error: string | null;
  /** JSON of a NextStep; null on rows written before migration 0024. */
  last_error_next: string | null;
}

interface ApprovalRow {
  role: string;
  decision: string;
  decided_by: string;
  decided_at: string;
  reason: string | null;
}

function rotationFromRow(row: RotationRow): Rotation {
  return {
    id: row.id,
    secretId: row.secret_id,
    secretName: row.secret_name,
    kind: row.kind as RotationKind,
    reason: (row.reason ?? (row.kind === 'emergency' ? 'compromise' : 'scheduled')) as RotationReason,
    state: row.state as RotationState,
    version: row.version,
    ticket: row.ticket,
    environment: row.environment,
    provider: row.provider as ProviderKind,
    providerRef: row.provider_ref,
    requiredApprovals: JSON.parse(row.required_approvals) as ApproverRole[],
    checklistSource: JSON.parse(row.checklist_source) as ChecklistSource,
    preflight: JSON.parse(row.preflight) as PreflightCheck[],
    startedBy: row.started_by,
    startedAt: row.started_at,
    heldBy: row.held_by,
    updatedAt: row.updated_at,
    previousVersionId: row.previous_version_id,
    previousFingerprint: row.previous_fingerprint,
    newVersionId: row.new_version_id,
    newFingerprint: row.new_fingerprint,
    placeholderVersionId: row.placeholder_version_id,
    promotedAt: row.promoted_at,
    verifiedAt: row.verified_at,
    previousLastRotated: row.previous_last_rotated,
    previousNextRotation: row.previous_next_rotation,
    previousLifecycle: row.previous_lifecycle as Lifecycle,
    completedAt: row.completed_at,
    endedAt: row.ended_at,
    endedBy: row.ended_by,
    endReason: row.end_reason,
    breakGlassBy: row.break_glass_by,
    breakGlassReason: row.break_glass_reason,
    incidentId: row.incident_id,
  };
}

function stepFromRow(row: StepRow): RotationStep {
  return {
    position: row.position,
    id: row.step_id,
    title: row.title,
    detail: row.detail,
    action: row.action as RotationStep['action'],
    required: row.required === 1,
    gate: row.gate as RotationStep['gate'],
    state: row.state as RotationStep['state'],
    startedAt: row.started_at,
    doneBy: row.done_by,
    doneAt: row.done_at,
    note: row.note,
    skipReason: row.skip_reason,
    result: row.result === null ? null : (JSON.parse(row.result) as Record<string, unknown>),
    attempts: row.attempts,
    lastError: row.last_error,
    lastErrorNext: row.last_error_next === null ? null : (JSON.parse(row.last_error_next) as NextStep),
  };
}

/** The rotation fields a change may set, with their columns. */
const ROTATION_COLUMNS = {
  state: 'state',
  ticket: 'ticket',
  heldBy: 'held_by',
  preflight: 'preflight',
  newVersionId: 'new_version_id',
  newFingerprint: 'new_fingerprint',
  placeholderVersionId: 'placeholder_version_id',
  promotedAt: 'promoted_at',
  verifiedAt: 'verified_at',
  completedAt: 'completed_at',
  endedAt: 'ended_at',
  endedBy: 'ended_by',
  endReason: 'end_reason',
  breakGlassBy: 'break_glass_by',
  breakGlassReason: 'break_glass_reason',
  incidentId: 'incident_id',
} as const satisfies Partial<Record<keyof Rotation, string>>;

export type RotationChange = Partial<Pick<Rotation, keyof typeof ROTATION_COLUMNS>>;

const STEP_COLUMNS = {
  state: 'state',
  startedAt: 'started_at',
  doneBy: 'done_by',
  doneAt: 'done_at',
  note: 'note',
  skipReason: 'skip_reason',
  result: 'result',
  attempts: 'attempts',
  lastError: 'last_error',
  lastErrorNext: 'last_error_next',
} as const satisfies Partial<Record<keyof RotationStep, string>>;

export type StepChange = Partial<Pick<RotationStep, keyof typeof STEP_COLUMNS>>;

export interface NewRotation {
  secretId: number;
  secretName: string;
  kind: RotationKind;
  /** Default: `compromise` for an emergency, else `scheduled`. */
  reason?: RotationReason;
  state: RotationState;
  ticket: string | null;
  environment: string;
  provider: ProviderKind;
  providerRef: string | null;
  requiredApprovals: readonly ApproverRole[];
  checklistSource: ChecklistSource;
  preflight: readonly PreflightCheck[];
  startedBy: string;
  startedAt: string;
  previousVersionId: string | null;
  previousFingerprint: string | null;
  previousLastRotated: string | null;
  previousNextRotation: string;
  previousLifecycle: Lifecycle;
  breakGlassBy?: string | null;
  breakGlassReason?: string | null;
  incidentId?: number | null;
}

/**
 * Rotations, their steps and approvals. Every change is conditional (on the rotation's version,
 * or on a step's state), so of two people acting at once exactly one wins and the other learns
 * it from the returned false. Called by RotationService inside its audit records.
 */
export class RotationRepo {
  constructor(private readonly db: Db) {}

  /** Inserts an open rotation and its checklist; a UniqueConflictError when the secret has an open rotation already. */
  insert(rotation: NewRotation, checklist: readonly ChecklistStep[]): number {
    const id = uniqueInsert('an open rotation of the secret', () =>
      Number(
        statement(
          this.db,
          `INSERT INTO rotations (secret_id, secret_name, kind, reason, state, ticket, environment, provider, provider_ref, required_approvals, checklist_source, preflight,
           started_by, started_at, held_by, updated_at, previous_version_id, previous_fingerprint, previous_last_rotated, previous_next_rotation, previous_lifecycle,
           break_glass_by, break_glass_reason, incident_id)
         VALUES (@secretId, @secretName, @kind, @reason, @state, @ticket, @environment, @provider, @providerRef, @requiredApprovals, @checklistSource, @preflight,
           @startedBy, @startedAt, @startedBy, @startedAt, @previousVersionId, @previousFingerprint, @previousLastRotated, @previousNextRotation, @previousLifecycle,
           @breakGlassBy, @breakGlassReason, @incidentId)`,
        ).run({
          ...rotation,
          reason: rotation.reason ?? (rotation.kind === 'emergency' ? 'compromise' : 'scheduled'),
          requiredApprovals: JSON.stringify(rotation.requiredApprovals),
          checklistSource: JSON.stringify(rotation.checklistSource),
          preflight: JSON.stringify(rotation.preflight),
          breakGlassBy: rotation.breakGlassBy ?? null,
          breakGlassReason: rotation.breakGlassReason ?? null,
          incidentId: rotation.incidentId ?? null,
        }).lastInsertRowid,
      ),
    );
    const insertStep = statement(
      this.db,
      `INSERT INTO rotation_steps (rotation_id, position, step_id, title, detail, action, required, gate, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
    );
    for (const [position, step] of checklist.entries())
      insertStep.run(id, position, step.id, step.title, step.detail, step.action, step.required ? 1 : 0, step.gate);
    return id;
  }

  get(id: number): RotationRecord | null {
    const row = statement(this.db, 'SELECT * FROM rotations WHERE id = ?').get(id) as RotationRow | undefined;
    return row ? this.withDetails(rotationFromRow(row)) : null;
  }

  openFor(secretId: number): RotationRecord | null {
    const row = statement(this.db, `SELECT * FROM rotations WHERE secret_id = ? AND state IN ('awaiting_approval', 'in_progress')`).get(
      secretId,
    ) as RotationRow | undefined;
    return row ? this.withDetails(rotationFromRow(row)) : null;
  }

  /** The kind of the secret's open rotation, or null: who may act on it, without reading its steps and approvals. */
  openKindFor(secretId: number): RotationKind | null {
    const kind = statement(this.db, `SELECT kind FROM rotations WHERE secret_id = ? AND state IN ('awaiting_approval', 'in_progress')`)
      .pluck()
      .get(secretId) as string | undefined;
    return kind === undefined ? null : (kind as RotationKind);
  }

  /** The secret's newest rotation, whatever its state. */
  latestFor(secretId: number): RotationRecord | null {
    const row = statement(this.db, 'SELECT * FROM rotations WHERE secret_id = ? ORDER BY id DESC LIMIT 1').get(secretId) as
      | RotationRow
      | undefined;
    return row ? this.withDetails(rotationFromRow(row)) : null;
  }

  /** Rotations newest first: all, or only the open ones. */
  list(filter: { open?: boolean; secretId?: number; limit?: number } = {}): Rotation[] {
    const rows = statement(
      this.db,
      `SELECT * FROM rotations
       WHERE (@open = 0 OR state IN ('awaiting_approval', 'in_progress')) AND (@secretId IS NULL OR secret_id = @secretId)
       ORDER BY id DESC LIMIT @limit`,
    ).all({ open: filter.open ? 1 : 0, secretId: filter.secretId ?? null, limit: filter.limit ?? -1 }) as RotationRow[];
    return rows.map(rotationFromRow);
  }

  /** Every rotation of a secret, oldest first: the report's and the evidence's population. */
  ofSecret(secretId: number): Rotation[] {
    return (statement(this.db, 'SELECT * FROM rotations WHERE secret_id = ? ORDER BY id').all(secretId) as RotationRow[]).map(
      rotationFromRow,
    );
  }

  /** Rotations that completed at or after `from` and before `to` (ISO instants), rolled back ones included, oldest first. */
  completedBetween(from: string, to: string): RotationRecord[] {
    const rows = statement(this.db, 'SELECT * FROM rotations WHERE completed_at >= ? AND completed_at < ? ORDER BY completed_at, id').all(
      from,
      to,
    ) as RotationRow[];
    return rows.map((row) => this.withDetails(rotationFromRow(row)));
  }

  /** Who holds the open rotation of each of these secrets (those with one), by secret id. */
  holdersOf(secretIds: readonly number[]): Map<number, string> {
    if (secretIds.length === 0) return new Map();
    const rows = statement(
      this.db,
      `SELECT secret_id, held_by FROM rotations WHERE state IN ('awaiting_approval', 'in_progress') AND secret_id IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(secretIds)) as { secret_id: number; held_by: string }[];
    return new Map(rows.map((row) => [row.secret_id, row.held_by]));
  }

  countOpen(): number {
    return statement(this.db, `SELECT count(*) FROM rotations WHERE state IN ('awaiting_approval', 'in_progress')`).pluck().get() as number;
  }

  /**
   * Applies `change` if the rotation is still at `expectedVersion` (and, when given, in one of
   * `fromStates`); bumps its version. False when someone else changed it first.
   */
  update(id: number, expectedVersion: number, now: string, change: RotationChange, fromStates?: readonly RotationState[]): boolean {
    const { sets, params } = setClause(change, ROTATION_COLUMNS);
    const states = fromStates ? ` AND state IN (SELECT value FROM json_each(@fromStates))` : '';
    const sql = `UPDATE rotations SET ${[...sets, 'version = version + 1', 'updated_at = @now'].join(', ')} WHERE id = @id AND version = @expectedVersion${states}`;
    return (
      statement(this.db, sql).run({
        ...params,
        id,
        expectedVersion,
        now,
        ...(fromStates ? { fromStates: JSON.stringify(fromStates) } : {}),
      }).changes === 1
    );
  }

  /** Applies `change` to a step if it is still in one of `fromStates`. */
  updateStep(rotationId: number, stepId: string, fromStates: readonly RotationStep['state'][], change: StepChange): boolean {
    // A new last error without a next step clears the previous one's: the two are one error.
    const whole = change.lastError !== undefined && change.lastErrorNext === undefined ? { ...change, lastErrorNext: null } : change;
    const { sets, params } = setClause(whole, STEP_COLUMNS);
    const sql = `UPDATE rotation_steps SET ${sets.join(', ')} WHERE rotation_id = @rotationId AND step_id = @stepId AND state IN (SELECT value FROM json_each(@fromStates))`;
    return statement(this.db, sql).run({ ...params, rotationId, stepId, fromStates: JSON.stringify(fromStates) }).changes === 1;
  }

  /** Records a decision; false when the role was already decided or the person already decided. */
  addApproval(rotationId: number, approval: Approval): boolean {
    return (
      statement(
        this.db,
        `INSERT INTO rotation_approvals (rotation_id, role, decision, decided_by, decided_at, reason) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ).run(rotationId, approval.role, approval.decision, approval.decidedBy, approval.decidedAt, approval.reason).changes === 1
    );
  }

  private withDetails(rotation: Rotation): RotationRecord {
    const steps = (
      statement(this.db, 'SELECT * FROM rotation_steps WHERE rotation_id = ? ORDER BY position').all(rotation.id) as StepRow[]
    ).map(stepFromRow);
    const approvals = (
      statement(
        this.db,
        'SELECT role, decision, decided_by, decided_at, reason FROM rotation_approvals WHERE rotation_id = ? ORDER BY decided_at',
      ).all(rotation.id) as ApprovalRow[]
    ).map((row) => ({
      role: row.role as ApproverRole,
      decision: row.decision as Approval['decision'],
      decidedBy: row.decided_by,
      decidedAt: row.decided_at,
      reason: row.reason,
    }));
    return { rotation, steps, approvals };
  }
}
