import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';

export interface SweepRecord {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  ok: boolean | null;
  sent: number;
  error: string | null;
}

/** The tables that log a sweep each: the reminder sweep's and the follow-up sweep's. */
export type SweepLogTable = 'reminder_sweeps' | 'follow_up_sweeps';

/** When sweeps ran and how they ended, shared by every process on the database. */
export class SweepLogRepo {
  constructor(
    private readonly db: Db,
    private readonly table: SweepLogTable = 'reminder_sweeps',
  ) {}

  start(at: string): number {
    return Number(statement(this.db, `INSERT INTO ${this.table} (started_at) VALUES (?)`).run(at).lastInsertRowid);
  }

  finish(id: number, at: string, sent: number): void {
    statement(this.db, `UPDATE ${this.table} SET finished_at = ?, ok = 1, sent = ? WHERE id = ?`).run(at, sent, id);
  }

  fail(id: number, at: string, error: string): void {
    statement(this.db, `UPDATE ${this.table} SET finished_at = ?, ok = 0, error = ? WHERE id = ?`).run(at, error, id);
  }

  /** Finish time of the newest successful sweep, or null when none ever succeeded. */
  lastSuccess(): string | null {
    const row = statement(this.db, `SELECT max(finished_at) AS at FROM ${this.table} WHERE ok = 1`).get() as { at: string | null };
    return row.at;
  }

  /** Keeps the newest rows only; the table is a health signal, not a history. */
  prune(keep = 1000): void {
    statement(this.db, `DELETE FROM ${this.table} WHERE id <= (SELECT max(id) FROM ${this.table}) - ?`).run(keep);
  }
}
