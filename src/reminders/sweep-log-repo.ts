import type { Db } from '../storage/database.js';

export interface SweepRecord {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  ok: boolean | null;
  sent: number;
  error: string | null;
}

/** When sweeps ran and how they ended, shared by every process on the database. */
export class SweepLogRepo {
  constructor(private readonly db: Db) {}

  start(at: string): number {
    return Number(this.db.prepare('INSERT INTO reminder_sweeps (started_at) VALUES (?)').run(at).lastInsertRowid);
  }

  finish(id: number, at: string, sent: number): void {
    this.db.prepare('UPDATE reminder_sweeps SET finished_at = ?, ok = 1, sent = ? WHERE id = ?').run(at, sent, id);
  }

  fail(id: number, at: string, error: string): void {
    this.db.prepare('UPDATE reminder_sweeps SET finished_at = ?, ok = 0, error = ? WHERE id = ?').run(at, error, id);
  }

  /** Finish time of the newest successful sweep, or null when none ever succeeded. */
  lastSuccess(): string | null {
    const row = this.db.prepare('SELECT max(finished_at) AS at FROM reminder_sweeps WHERE ok = 1').get() as { at: string | null };
    return row.at;
  }

  /** Keeps the newest rows only; the table is a health signal, not a history. */
  prune(keep = 1000): void {
    this.db.prepare('DELETE FROM reminder_sweeps WHERE id <= (SELECT max(id) FROM reminder_sweeps) - ?').run(keep);
  }
}
