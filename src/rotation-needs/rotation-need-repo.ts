import { inWriteTransaction, type Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import type { NeedReason, NeedRequest, RotationNeed } from './rotation-need.js';

interface NeedRow {
  id: number;
  secret_id: number;
  secret_name: string;
  reason: string;
  due_at: string;
  person: string | null;
  detail: string | null;
  origin: string;
  created_by: string;
  created_at: string;
  resolved_at: string | null;
}

function fromRow(row: NeedRow): RotationNeed {
  return {
    id: row.id,
    secretId: row.secret_id,
    secretName: row.secret_name,
    reason: row.reason as NeedReason,
    dueAt: row.due_at,
    person: row.person,
    detail: row.detail,
    origin: row.origin,
    createdBy: row.created_by,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  };
}

/**
 * The rotation needs. "Open" is the open_rotation_needs view: not resolved, on a live secret not
 * rotated since the need was raised. Writes are made inside the callers' audit records.
 */
export class RotationNeedRepo {
  constructor(private readonly db: Db) {}

  /** Records a need unless the same cause already marked the secret; returns the new need, or null. */
  add(request: NeedRequest, createdBy: string, now: string): RotationNeed | null {
    const row = statement(
      this.db,
      `INSERT INTO rotation_needs (secret_id, reason, due_at, person, detail, origin, created_by, created_at)
       VALUES (@secretId, @reason, @dueAt, @person, @detail, @origin, @createdBy, @now)
       ON CONFLICT (secret_id, origin) DO NOTHING
       RETURNING id`,
    ).get({ ...request, createdBy, now }) as { id: number } | undefined;
    return row ? this.get(row.id) : null;
  }

  get(id: number): RotationNeed | null {
    const row = statement(
      this.db,
      'SELECT n.*, s.name AS secret_name FROM rotation_needs n JOIN secrets s ON s.id = n.secret_id WHERE n.id = ?',
    ).get(id) as NeedRow | undefined;
    return row ? fromRow(row) : null;
  }

  /** Every open need, soonest due first; of one reason when given. */
  open(reason?: NeedReason): RotationNeed[] {
    const rows = statement(
      this.db,
      `SELECT n.*, s.name AS secret_name FROM open_rotation_needs n JOIN secrets s ON s.id = n.secret_id
       WHERE @reason IS NULL OR n.reason = @reason ORDER BY n.due_at, s.name, n.id`,
    ).all({ reason: reason ?? null }) as NeedRow[];
    return rows.map(fromRow);
  }

  /** The open needs of these secrets, by secret id, soonest due first. */
  openFor(secretIds: readonly number[]): Map<number, RotationNeed[]> {
    const found = new Map<number, RotationNeed[]>();
    if (secretIds.length === 0) return found;
    const query = statement(
      this.db,
      `SELECT n.*, s.name AS secret_name FROM open_rotation_needs n JOIN secrets s ON s.id = n.secret_id
       WHERE n.secret_id IN (SELECT value FROM json_each(?)) ORDER BY n.due_at, n.id`,
    );
    for (let start = 0; start < secretIds.length; start += 1000) {
      for (const row of query.all(JSON.stringify(secretIds.slice(start, start + 1000))) as NeedRow[]) {
        const list = found.get(row.secret_id);
        if (list) list.push(fromRow(row));
        else found.set(row.secret_id, [fromRow(row)]);
      }
    }
    return found;
  }

  /**
   * The open needs of the secrets a condition on the secret (`s`) selects, by secret id: the
   * reminder sweep reads them with the same condition as its candidates, so by index and with
   * named parameters only.
   */
  openWhere(secretCondition: string, params: Record<string, unknown>): Map<number, RotationNeed[]> {
    const found = new Map<number, RotationNeed[]>();
    const rows = statement(
      this.db,
      `SELECT n.*, s.name AS secret_name FROM open_rotation_needs n JOIN secrets s ON s.id = n.secret_id WHERE ${secretCondition} ORDER BY n.due_at, n.id`,
    ).all(params) as NeedRow[];
    for (const row of rows) {
      const list = found.get(row.secret_id);
      if (list) list.push(fromRow(row));
      else found.set(row.secret_id, [fromRow(row)]);
    }
    return found;
  }

  /** The needs a cause raised (one personnel change, one use), open or not. */
  ofOrigin(origin: string): RotationNeed[] {
    return (
      statement(
        this.db,
        'SELECT n.*, s.name AS secret_name FROM rotation_needs n JOIN secrets s ON s.id = n.secret_id WHERE n.origin = ? ORDER BY s.name',
      ).all(origin) as NeedRow[]
    ).map(fromRow);
  }

  /**
   * Marks resolved the needs a rotation has met since (the secret's last rotation is later than
   * the need), as of that rotation; returns them.
   */
  settleRotated(): RotationNeed[] {
    return inWriteTransaction(this.db, () => {
      const met = statement(
        this.db,
        `SELECT n.*, s.name AS secret_name, s.last_rotated AS rotated_at FROM rotation_needs n JOIN secrets s ON s.id = n.secret_id
         WHERE n.resolved_at IS NULL AND s.last_rotated > n.created_at ORDER BY n.id`,
      ).all() as (NeedRow & { rotated_at: string })[];
      const resolve = statement(this.db, 'UPDATE rotation_needs SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL');
      for (const row of met) resolve.run(row.rotated_at, row.id);
      return met.map((row) => ({ ...fromRow(row), resolvedAt: row.rotated_at }));
    });
  }
}
