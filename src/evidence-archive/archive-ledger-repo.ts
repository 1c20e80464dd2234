import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import type { EvidenceKind } from './archive-layout.js';

/** One record to archive: what it is about and the name of its objects. */
export interface ArchiveItem {
  kind: EvidenceKind;
  /** The rotation's or incident's id, or the report's month (`YYYY-MM`). */
  subject: string;
  /** The objects' name: `42`, `42-rolled-back`, `7`, `rotations-2027-03`. */
  name: string;
  /** When it ended (completed, abandoned, rolled back, closed; a month: its last instant), when known. */
  endedAt: string | null;
}

/** A record rendered once and kept until it is in the bucket: a retry writes these same bytes. */
export interface StagedRecord {
  kind: EvidenceKind;
  subject: string;
  name: string;
  outcome: string;
  secretName: string;
  occurredAt: string;
  markdownBody: string;
  jsonBody: string;
  recordDigest: string;
  chainSeqs: number[];
  stagedAt: string;
}

/** A record in the bucket: where its two objects are, their digests and versions, and what ties it to the audit chain. */
export interface ArchivedRecord {
  kind: EvidenceKind;
  subject: string;
  name: string;
  outcome: string;
  secretName: string;
  bucket: string;
  markdownKey: string;
  markdownDigest: string;
  markdownVersion: string | null;
  jsonKey: string;
  jsonDigest: string;
  jsonVersion: string | null;
  recordDigest: string;
  chainSeqs: number[];
  retainUntil: string | null;
  archivedAt: string;
}

interface StagedRow {
  kind: EvidenceKind;
  subject: string;
  name: string;
  outcome: string;
  secret_name: string;
  occurred_at: string;
  markdown_body: string;
  json_body: string;
  record_digest: string;
  chain_seqs: string;
  staged_at: string;
}

interface ArchivedRow {
  kind: EvidenceKind;
  subject: string;
  name: string;
  outcome: string;
  secret_name: string;
  bucket: string;
  markdown_key: string;
  markdown_digest: string;
  markdown_version: string | null;
  json_key: string;
  json_digest: string;
  json_version: string | null;
  record_digest: string;
  chain_seqs: string;
  retain_until: string | null;
  archived_at: string;
}

function fromStagedRow(row: StagedRow): StagedRecord {
  return {
    kind: row.kind,
    subject: row.subject,
    name: row.name,
    outcome: row.outcome,
    secretName: row.secret_name,
    occurredAt: row.occurred_at,
    markdownBody: row.markdown_body,
    jsonBody: row.json_body,
    recordDigest: row.record_digest,
    chainSeqs: JSON.parse(row.chain_seqs) as number[],
    stagedAt: row.staged_at,
  };
}

function fromArchivedRow(row: ArchivedRow): ArchivedRecord {
  return {
    kind: row.kind,
    subject: row.subject,
    name: row.name,
    outcome: row.outcome,
    secretName: row.secret_name,
    bucket: row.bucket,
    markdownKey: row.markdown_key,
    markdownDigest: row.markdown_digest,
    markdownVersion: row.markdown_version,
    jsonKey: row.json_key,
    jsonDigest: row.json_digest,
    jsonVersion: row.json_version,
    recordDigest: row.record_digest,
    chainSeqs: JSON.parse(row.chain_seqs) as number[],
    retainUntil: row.retain_until,
    archivedAt: row.archived_at,
  };
}

/** The states in which a rotation has ended and its evidence is due. */
const ENDED_ROTATION_STATES = ['completed', 'abandoned', 'rejected', 'rolled_back'] as const;

/**
 * The archive ledger (migrations/0015): records staged (rendered, not yet known to be in the
 * bucket) and archived, and the queries that find what is still due — rotations that ended and
 * incidents that closed without an archived record, and rotations rolled back after a record of
 * their completion was made.
 */
export class ArchiveLedgerRepo {
  constructor(private readonly db: Db) {}

  archivedRecord(kind: EvidenceKind, name: string): ArchivedRecord | null {
    const row = statement(this.db, 'SELECT * FROM evidence_archive WHERE kind = ? AND name = ?').get(kind, name) as ArchivedRow | undefined;
    return row ? fromArchivedRow(row) : null;
  }

  stagedRecord(kind: EvidenceKind, name: string): StagedRecord | null {
    const row = statement(this.db, 'SELECT * FROM evidence_staged WHERE kind = ? AND name = ?').get(kind, name) as StagedRow | undefined;
    return row ? fromStagedRow(row) : null;
  }

  /** Every archived record, oldest first. */
  archived(): ArchivedRecord[] {
    return (statement(this.db, 'SELECT * FROM evidence_archive ORDER BY id').all() as ArchivedRow[]).map(fromArchivedRow);
  }

  /** Keeps the rendered record; false when one is staged already (the first one stays: it may be in the bucket). */
  stage(record: StagedRecord): boolean {
    return (
      statement(
        this.db,
        `INSERT INTO evidence_staged (kind, subject, name, outcome, secret_name, occurred_at, markdown_body, json_body, record_digest, chain_seqs, staged_at)
         VALUES (@kind, @subject, @name, @outcome, @secretName, @occurredAt, @markdownBody, @jsonBody, @recordDigest, @chainSeqs, @stagedAt)
         ON CONFLICT (kind, name) DO NOTHING`,
      ).run({ ...record, chainSeqs: JSON.stringify(record.chainSeqs) }).changes === 1
    );
  }

  /**
   * Moves a staged record into the ledger, archived; false when it is there already (another
   * process finished first). Call inside the audit's transaction.
   */
  recordArchived(record: ArchivedRecord): boolean {
    statement(this.db, 'DELETE FROM evidence_staged WHERE kind = ? AND name = ?').run(record.kind, record.name);
    return (
      statement(
        this.db,
        `INSERT INTO evidence_archive (kind, subject, name, outcome, secret_name, bucket, markdown_key, markdown_digest, markdown_version, json_key, json_digest, json_version, record_digest, chain_seqs, retain_until, archived_at)
         VALUES (@kind, @subject, @name, @outcome, @secretName, @bucket, @markdownKey, @markdownDigest, @markdownVersion, @jsonKey, @jsonDigest, @jsonVersion, @recordDigest, @chainSeqs, @retainUntil, @archivedAt)
         ON CONFLICT (kind, name) DO NOTHING`,
      ).run({ ...record, chainSeqs: JSON.stringify(record.chainSeqs) }).changes === 1
    );
  }

  /**
   * Rotations whose evidence is due, oldest first: ended without an archived record (`<id>`),
   * or rolled back after a record of their completion was made (`<id>-rolled-back`).
   */
  dueRotations(limit: number): ArchiveItem[] {
    const rows = statement(
      this.db,
      `SELECT * FROM (
         SELECT r.id, r.state, coalesce(r.ended_at, r.completed_at) AS ended_at,
                coalesce((SELECT a.outcome FROM evidence_archive a WHERE a.kind = 'rotation' AND a.name = CAST(r.id AS TEXT)),
                         (SELECT s.outcome FROM evidence_staged s WHERE s.kind = 'rotation' AND s.name = CAST(r.id AS TEXT))) AS first_outcome,
                EXISTS (SELECT 1 FROM evidence_archive a WHERE a.kind = 'rotation' AND a.name = CAST(r.id AS TEXT)) AS first_archived,
                EXISTS (SELECT 1 FROM evidence_archive a WHERE a.kind = 'rotation' AND a.name = r.id || '-rolled-back') AS second_archived
         FROM rotations r
         WHERE r.state IN (SELECT value FROM json_each(@states)))
       WHERE NOT first_archived
          OR (state = 'rolled_back' AND first_outcome IS NOT 'rolled_back' AND NOT second_archived)
       ORDER BY id
       LIMIT @limit`,
    ).all({ states: JSON.stringify(ENDED_ROTATION_STATES), limit }) as {
      id: number;
      state: string;
      ended_at: string | null;
      first_outcome: string | null;
      first_archived: number;
      second_archived: number;
    }[];
    return rows.flatMap((row) => {
      const items: ArchiveItem[] = [];
      if (!row.first_archived) items.push({ kind: 'rotation', subject: String(row.id), name: String(row.id), endedAt: row.ended_at });
      // Its first record (archived or staged) shows it completed: the rollback gets a record of its own.
      if (row.state === 'rolled_back' && row.first_outcome !== null && row.first_outcome !== 'rolled_back' && !row.second_archived) {
        items.push({ kind: 'rotation', subject: String(row.id), name: `${row.id}-rolled-back`, endedAt: row.ended_at });
      }
      return items;
    });
  }

  /** Closed incidents without an archived record, oldest first. */
  dueIncidents(limit: number): ArchiveItem[] {
    const rows = statement(
      this.db,
      `SELECT i.id, i.closed_at FROM incidents i
       WHERE i.state = 'closed' AND NOT EXISTS (SELECT 1 FROM evidence_archive a WHERE a.kind = 'incident' AND a.name = CAST(i.id AS TEXT))
       ORDER BY i.id
       LIMIT ?`,
    ).all(limit) as { id: number; closed_at: string | null }[];
    return rows.map((row) => ({ kind: 'incident', subject: String(row.id), name: String(row.id), endedAt: row.closed_at }));
  }

  /** The months (`YYYY-MM`) whose report is archived, oldest first. */
  reportMonths(): string[] {
    return statement(this.db, `SELECT subject FROM evidence_archive WHERE kind = 'report' ORDER BY subject`).pluck().all() as string[];
  }

  /** When the newest record was archived; null before the first. */
  lastArchivedAt(): string | null {
    return (statement(this.db, `SELECT max(archived_at) FROM evidence_archive`).pluck().get() as string | null) ?? null;
  }

  /**
   * The latest error of an archive follow-up whose record is still not archived (retrying, or
   * given up on until the sweep schedules it again); null when none is failing.
   */
  latestFailure(followUpKind: string): { error: string; at: string; givenUp: boolean } | null {
    const row = statement(
      this.db,
      `SELECT f.last_error, coalesce(f.done_at, f.claimed_at, f.created_at) AS at, f.state FROM follow_ups f
       WHERE f.kind = ? AND f.last_error IS NOT NULL AND f.state IN ('pending', 'claimed', 'failed')
         AND NOT EXISTS (SELECT 1 FROM evidence_archive a WHERE a.kind = json_extract(f.payload, '$.kind') AND a.name = json_extract(f.payload, '$.name'))
       ORDER BY f.id DESC
       LIMIT 1`,
    ).get(followUpKind) as { last_error: string; at: string; state: string } | undefined;
    return row ? { error: row.last_error, at: row.at, givenUp: row.state === 'failed' } : null;
  }
}
