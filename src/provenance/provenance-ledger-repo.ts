import type { ProviderKind } from '../inventory/secret.js';
import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';

export type ProvenanceOutcome = 'tagged' | 'unsupported' | 'superseded';

export interface ProvenanceEntry {
  rotationId: number;
  secretName: string;
  provider: ProviderKind;
  providerRef: string | null;
  tags: Record<string, string>;
  outcome: ProvenanceOutcome;
  taggedAt: string;
}

interface ProvenanceRow {
  rotation_id: number;
  secret_name: string;
  provider: ProviderKind;
  provider_ref: string | null;
  tags: string;
  outcome: ProvenanceOutcome;
  tagged_at: string;
}

/**
 * Which completed rotations have left their tags at the store (migrations/0015), and which are
 * still due: the newest completed rotation of each secret in a store, without a row.
 */
export class ProvenanceLedgerRepo {
  constructor(private readonly db: Db) {}

  find(rotationId: number): ProvenanceEntry | null {
    const row = statement(this.db, 'SELECT * FROM provenance_tags WHERE rotation_id = ?').get(rotationId) as ProvenanceRow | undefined;
    return row
      ? {
          rotationId: row.rotation_id,
          secretName: row.secret_name,
          provider: row.provider,
          providerRef: row.provider_ref,
          tags: JSON.parse(row.tags) as Record<string, string>,
          outcome: row.outcome,
          taggedAt: row.tagged_at,
        }
      : null;
  }

  /** Adds the row; false when it is there already. Call inside the audit's transaction. */
  insert(entry: ProvenanceEntry): boolean {
    return (
      statement(
        this.db,
        `INSERT INTO provenance_tags (rotation_id, secret_name, provider, provider_ref, tags, outcome, tagged_at)
         VALUES (@rotationId, @secretName, @provider, @providerRef, @tags, @outcome, @taggedAt)
         ON CONFLICT (rotation_id) DO NOTHING`,
      ).run({ ...entry, tags: JSON.stringify(entry.tags) }).changes === 1
    );
  }

  /** Rotations whose tags are due, oldest completion first: completed, in a store, the newest completed of their secret. */
  due(limit: number): number[] {
    return statement(
      this.db,
      `SELECT r.id FROM rotations r
       WHERE r.state = 'completed' AND r.provider <> 'manual'
         AND NOT EXISTS (SELECT 1 FROM provenance_tags p WHERE p.rotation_id = r.id)
         AND NOT EXISTS (SELECT 1 FROM rotations n WHERE n.secret_id = r.secret_id AND n.state = 'completed' AND n.completed_at > r.completed_at)
       ORDER BY r.completed_at, r.id
       LIMIT ?`,
    )
      .pluck()
      .all(limit) as number[];
  }

  /** Whether a rotation of the same secret completed after this one (and so tags it instead). */
  supersededBy(rotationId: number): number | null {
    return (
      (statement(
        this.db,
        `SELECT n.id FROM rotations r JOIN rotations n ON n.secret_id = r.secret_id AND n.state = 'completed' AND n.completed_at > r.completed_at
         WHERE r.id = ? ORDER BY n.completed_at DESC LIMIT 1`,
      )
        .pluck()
        .get(rotationId) as number | undefined) ?? null
    );
  }
}
