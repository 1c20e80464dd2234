import type { RotationWindow } from '../rotation/rotation-window.js';
import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';

interface WindowRow {
  id: number;
  rotation_id: number;
  environment: string;
  starts_at: string;
  ends_at: string;
  impact: string;
  planned_by: string;
  planned_at: string;
  override_by: string | null;
  override_reason: string | null;
  override_at: string | null;
}

function fromRow(row: WindowRow): RotationWindow {
  return {
    id: row.id,
    rotationId: row.rotation_id,
    environment: row.environment,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    impact: row.impact,
    plannedBy: row.planned_by,
    plannedAt: row.planned_at,
    override:
      row.override_by && row.override_reason && row.override_at
        ? { by: row.override_by, reason: row.override_reason, at: row.override_at }
        : null,
  };
}

/** A window with the secret its rotation works on: what the notices and the calendar show. */
export interface ScheduledWindow extends RotationWindow {
  secretName: string;
  owner: string | null;
}

/** The planned windows; writes are made inside the callers' audit records. */
export class RotationWindowRepo {
  constructor(private readonly db: Db) {}

  current(rotationId: number): RotationWindow | null {
    const row = statement(this.db, 'SELECT * FROM rotation_windows WHERE rotation_id = ? AND replaced_at IS NULL').get(rotationId) as
      | WindowRow
      | undefined;
    return row ? fromRow(row) : null;
  }

  get(id: number): ScheduledWindow | null {
    const row = statement(
      this.db,
      `SELECT w.*, s.name AS secret_name, s.owner AS owner FROM rotation_windows w
       JOIN rotations r ON r.id = w.rotation_id JOIN secrets s ON s.id = r.secret_id WHERE w.id = ?`,
    ).get(id) as (WindowRow & { secret_name: string; owner: string | null; replaced_at: string | null }) | undefined;
    return row ? { ...fromRow(row), secretName: row.secret_name, owner: row.owner } : null;
  }

  /** Whether the window is still its rotation's current one and the rotation is still open. */
  isLive(id: number): boolean {
    return (
      statement(
        this.db,
        `SELECT 1 FROM rotation_windows w JOIN rotations r ON r.id = w.rotation_id
         WHERE w.id = ? AND w.replaced_at IS NULL AND r.state IN ('awaiting_approval', 'in_progress')`,
      ).get(id) !== undefined
    );
  }

  /** Current windows of open rotations in `environment` that overlap [startsAt, endsAt), other than `rotationId`'s. */
  overlapping(environment: string, startsAt: string, endsAt: string, rotationId: number): ScheduledWindow[] {
    const rows = statement(
      this.db,
      `SELECT w.*, s.name AS secret_name, s.owner AS owner FROM rotation_windows w
       JOIN rotations r ON r.id = w.rotation_id JOIN secrets s ON s.id = r.secret_id
       WHERE w.replaced_at IS NULL AND r.state IN ('awaiting_approval', 'in_progress') AND w.environment = ?
         AND w.rotation_id <> ? AND w.starts_at < ? AND w.ends_at > ?
       ORDER BY w.starts_at`,
    ).all(environment, rotationId, endsAt, startsAt) as (WindowRow & { secret_name: string; owner: string | null })[];
    return rows.map((row) => ({ ...fromRow(row), secretName: row.secret_name, owner: row.owner }));
  }

  /** Current windows of open rotations ending after `from`, soonest first: the calendar's. */
  upcoming(from: string): ScheduledWindow[] {
    const rows = statement(
      this.db,
      `SELECT w.*, s.name AS secret_name, s.owner AS owner FROM rotation_windows w
       JOIN rotations r ON r.id = w.rotation_id JOIN secrets s ON s.id = r.secret_id
       WHERE w.replaced_at IS NULL AND r.state IN ('awaiting_approval', 'in_progress') AND w.ends_at > ?
       ORDER BY w.starts_at`,
    ).all(from) as (WindowRow & { secret_name: string; owner: string | null })[];
    return rows.map((row) => ({ ...fromRow(row), secretName: row.secret_name, owner: row.owner }));
  }

  /** Replaces the rotation's current window (if any) by a new one; returns the new window and the replaced one's id. */
  replace(window: Omit<RotationWindow, 'id' | 'override'>, now: string): { window: RotationWindow; replaced: number | null } {
    const old = this.current(window.rotationId);
    if (old) statement(this.db, 'UPDATE rotation_windows SET replaced_at = ? WHERE id = ?').run(now, old.id);
    const row = statement(
      this.db,
      `INSERT INTO rotation_windows (rotation_id, environment, starts_at, ends_at, impact, planned_by, planned_at)
       VALUES (@rotationId, @environment, @startsAt, @endsAt, @impact, @plannedBy, @plannedAt) RETURNING *`,
    ).get(window) as WindowRow;
    return { window: fromRow(row), replaced: old?.id ?? null };
  }

  /** Records an approver's override; false when the window was overridden (or replaced) meanwhile. */
  override(id: number, by: string, reason: string, at: string): boolean {
    return (
      statement(
        this.db,
        `UPDATE rotation_windows SET override_by = ?, override_reason = ?, override_at = ?
         WHERE id = ? AND replaced_at IS NULL AND override_by IS NULL`,
      ).run(by, reason, at, id).changes === 1
    );
  }
}
