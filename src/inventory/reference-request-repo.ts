import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import type { ReferenceMove } from './reference-follow-ups.js';
import type { ProviderKind } from './secret.js';

/** A change of where a secret is stored that someone asked for, waiting for (or given) a security lead's decision. */
export interface ReferenceRequest extends ReferenceMove {
  id: number;
  secretId: number;
  requestedBy: string;
  requestedAt: string;
  state: 'pending' | 'approved' | 'rejected' | 'withdrawn';
  decidedBy: string | null;
  decidedAt: string | null;
  endNote: string | null;
}

interface RequestRow {
  id: number;
  secret_id: number;
  secret_name: string;
  from_provider: string;
  from_ref: string | null;
  to_provider: string;
  to_ref: string | null;
  requested_by: string;
  requested_at: string;
  state: string;
  decided_by: string | null;
  decided_at: string | null;
  end_note: string | null;
}

function fromRow(row: RequestRow): ReferenceRequest {
  return {
    id: row.id,
    secretId: row.secret_id,
    secret: row.secret_name,
    from: { provider: row.from_provider as ProviderKind, providerRef: row.from_ref },
    to: { provider: row.to_provider as ProviderKind, providerRef: row.to_ref },
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    state: row.state as ReferenceRequest['state'],
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    endNote: row.end_note,
  };
}

/** Reference change requests; a decision is conditional on the request still waiting, so of two clicks one wins. */
export class ReferenceRequestRepo {
  constructor(private readonly db: Db) {}

  insert(secretId: number, move: ReferenceMove, requestedBy: string, now: string): number {
    return Number(
      statement(
        this.db,
        `INSERT INTO reference_change_requests (secret_id, secret_name, from_provider, from_ref, to_provider, to_ref, requested_by, requested_at, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
      ).run(secretId, move.secret, move.from.provider, move.from.providerRef, move.to.provider, move.to.providerRef, requestedBy, now)
        .lastInsertRowid,
    );
  }

  get(id: number): ReferenceRequest | null {
    const row = statement(this.db, 'SELECT * FROM reference_change_requests WHERE id = ?').get(id) as RequestRow | undefined;
    return row ? fromRow(row) : null;
  }

  pendingFor(secretId: number): ReferenceRequest | null {
    const row = statement(this.db, `SELECT * FROM reference_change_requests WHERE secret_id = ? AND state = 'pending'`).get(secretId) as
      | RequestRow
      | undefined;
    return row ? fromRow(row) : null;
  }

  /** Ends a waiting request; false when it was decided (or withdrawn) first. */
  end(id: number, state: Exclude<ReferenceRequest['state'], 'pending'>, by: string, now: string, note: string | null): boolean {
    return (
      statement(
        this.db,
        `UPDATE reference_change_requests SET state = ?, decided_by = ?, decided_at = ?, end_note = ? WHERE id = ? AND state = 'pending'`,
      ).run(state, by, now, note, id).changes === 1
    );
  }
}
