import { inWriteTransaction, type Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import type { FollowUp, FollowUpPayload, FollowUpRequest, FollowUpState } from './follow-up.js';

interface FollowUpRow {
  id: number;
  kind: string;
  topic: string;
  occurrence: string;
  due_at: string;
  payload: string;
  state: string;
  claim_token: string | null;
  claimed_at: string | null;
  attempts: number;
  last_error: string | null;
  outcome: string | null;
  created_at: string;
  done_at: string | null;
}

function fromRow(row: FollowUpRow): FollowUp {
  return {
    id: row.id,
    kind: row.kind,
    topic: row.topic,
    occurrence: row.occurrence,
    dueAt: row.due_at,
    payload: JSON.parse(row.payload) as FollowUpPayload,
    state: row.state as FollowUpState,
    claimToken: row.claim_token,
    claimedAt: row.claimed_at,
    attempts: row.attempts,
    lastError: row.last_error,
    outcome: row.outcome === null ? null : (JSON.parse(row.outcome) as FollowUpPayload),
    createdAt: row.created_at,
    doneAt: row.done_at,
  };
}

/**
 * The follow-up table. Every state change is one conditional statement on the claim token, so
 * two sweeps (timers or processes) on one database cannot both win a follow-up.
 */
export class FollowUpRepo {
  constructor(private readonly db: Db) {}

  /** Adds a follow-up unless the same (kind, topic, occurrence) exists: scheduling twice is harmless. */
  schedule(request: FollowUpRequest, now: string): boolean {
    return (
      statement(
        this.db,
        `INSERT INTO follow_ups (kind, topic, occurrence, due_at, payload, state, created_at)
         VALUES (@kind, @topic, @occurrence, @dueAt, @payload, 'pending', @now)
         ON CONFLICT (kind, topic, occurrence) DO NOTHING`,
      ).run({
        kind: request.kind,
        topic: request.topic,
        occurrence: request.occurrence ?? '',
        dueAt: request.dueAt,
        payload: JSON.stringify(request.payload ?? {}),
        now,
      }).changes === 1
    );
  }

  /** Cancels what is still waiting; returns how many. */
  cancel(filter: { topic: string; kind?: string }, now: string): number {
    return statement(
      this.db,
      `UPDATE follow_ups SET state = 'cancelled', done_at = @now
       WHERE topic = @topic AND (@kind IS NULL OR kind = @kind) AND state = 'pending'`,
    ).run({ topic: filter.topic, kind: filter.kind ?? null, now }).changes;
  }

  /** Pending follow-ups of these kinds due by `now`, oldest due first. */
  due(kinds: readonly string[], now: string, limit: number): FollowUp[] {
    const rows = statement(
      this.db,
      `SELECT * FROM follow_ups WHERE state = 'pending' AND due_at <= ? AND kind IN (SELECT value FROM json_each(?)) ORDER BY due_at, id LIMIT ?`,
    ).all(now, JSON.stringify(kinds), limit) as FollowUpRow[];
    return rows.map(fromRow);
  }

  /** Claims older than `before`: their doer died or lost its way between claim and mark. */
  staleClaims(kinds: readonly string[], before: string): FollowUp[] {
    const rows = statement(
      this.db,
      `SELECT * FROM follow_ups WHERE state = 'claimed' AND claimed_at < ? AND kind IN (SELECT value FROM json_each(?)) ORDER BY id`,
    ).all(before, JSON.stringify(kinds)) as FollowUpRow[];
    return rows.map(fromRow);
  }

  /** Claims a pending follow-up; false when another sweep has it. */
  claim(id: number, token: string, now: string): boolean {
    return (
      statement(
        this.db,
        `UPDATE follow_ups SET state = 'claimed', claim_token = ?, claimed_at = ?, attempts = attempts + 1 WHERE id = ? AND state = 'pending' AND due_at <= ?`,
      ).run(token, now, id, now).changes === 1
    );
  }

  /** Takes over a stale claim to reconcile it; false when another sweep took it first. */
  takeOver(followUp: FollowUp, token: string, now: string): boolean {
    return (
      statement(
        this.db,
        `UPDATE follow_ups SET claim_token = ?, claimed_at = ? WHERE id = ? AND state = 'claimed' AND claim_token IS ? AND claimed_at IS ?`,
      ).run(token, now, followUp.id, followUp.claimToken, followUp.claimedAt).changes === 1
    );
  }

  /** Marks done and schedules what comes next, together; only the holder of the claim can. */
  markDone(id: number, token: string, outcome: FollowUpPayload | undefined, next: readonly FollowUpRequest[], now: string): boolean {
    return inWriteTransaction(this.db, () => {
      const marked = statement(
        this.db,
        `UPDATE follow_ups SET state = 'done', done_at = ?, outcome = ?, last_error = NULL WHERE id = ? AND claim_token = ? AND state = 'claimed'`,
      ).run(now, outcome === undefined ? null : JSON.stringify(outcome), id, token);
      if (marked.changes !== 1) return false;
      for (const request of next) this.schedule(request, now);
      return true;
    });
  }

  /** Gives a claim back to be tried again at `retryAt`. */
  release(id: number, token: string, error: string, retryAt: string): void {
    statement(
      this.db,
      `UPDATE follow_ups SET state = 'pending', claim_token = NULL, claimed_at = NULL, due_at = ?, last_error = ? WHERE id = ? AND claim_token = ? AND state = 'claimed'`,
    ).run(retryAt, error, id, token);
  }

  /** Gives up on a follow-up; true when this call did (the holder of the claim). */
  fail(id: number, token: string, error: string, now: string): boolean {
    return (
      statement(
        this.db,
        `UPDATE follow_ups SET state = 'failed', done_at = ?, last_error = ? WHERE id = ? AND claim_token = ? AND state = 'claimed'`,
      ).run(now, error, id, token).changes === 1
    );
  }

  /**
   * Adds facts to a done follow-up's outcome (e.g. that the message it posted was since redrawn
   * for good), so later work on the same message knows; its other facts are kept.
   */
  amendOutcome(id: number, facts: FollowUpPayload): void {
    statement(this.db, `UPDATE follow_ups SET outcome = json_patch(coalesce(outcome, '{}'), ?) WHERE id = ? AND state = 'done'`).run(
      JSON.stringify(facts),
      id,
    );
  }

  find(kind: string, topic: string, occurrence = ''): FollowUp | null {
    const row = statement(this.db, 'SELECT * FROM follow_ups WHERE kind = ? AND topic = ? AND occurrence = ?').get(
      kind,
      topic,
      occurrence,
    ) as FollowUpRow | undefined;
    return row ? fromRow(row) : null;
  }

  ofTopic(topic: string): FollowUp[] {
    return (statement(this.db, 'SELECT * FROM follow_ups WHERE topic = ? ORDER BY due_at, id').all(topic) as FollowUpRow[]).map(fromRow);
  }

  countByState(): Record<FollowUpState, number> {
    const counts: Record<FollowUpState, number> = { pending: 0, claimed: 0, done: 0, failed: 0, cancelled: 0 };
    for (const row of statement(this.db, 'SELECT state, count(*) AS n FROM follow_ups GROUP BY state').all() as {
      state: FollowUpState;
      n: number;
    }[])
      counts[row.state] = row.n;
    return counts;
  }
}
