import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';

/** One actor's repeated refusals of one action, counted since the audited first one. */
export interface RefusalWindow {
  actor: string;
  attempted: string;
  openedAt: string;
  /** The access.denied event that opened the window. */
  firstSeq: number;
  repeats: number;
  lastAt: string | null;
  secrets: string[];
  moreSecrets: boolean;
}

interface WindowRow {
  actor: string;
  attempted: string;
  opened_at: string;
  first_seq: number;
  repeats: number;
  last_at: string | null;
  secrets: string;
  more_secrets: number;
}

/** The open refusal windows, shared by every process on the database. */
export class RefusalWindowRepo {
  constructor(private readonly db: Db) {}

  get(actor: string, attempted: string): RefusalWindow | null {
    const row = statement(this.db, 'SELECT * FROM refusal_windows WHERE actor = ? AND attempted = ?').get(actor, attempted) as
      | WindowRow
      | undefined;
    return row ? fromRow(row) : null;
  }

  /** Windows opened at or before `openedBy` (ISO): closed, oldest first. */
  closed(openedBy: string): RefusalWindow[] {
    return (
      statement(this.db, 'SELECT * FROM refusal_windows WHERE opened_at <= ? ORDER BY opened_at, actor, attempted').all(
        openedBy,
      ) as WindowRow[]
    ).map(fromRow);
  }

  open(window: { actor: string; attempted: string; openedAt: string; firstSeq: number }): void {
    statement(this.db, 'INSERT INTO refusal_windows (actor, attempted, opened_at, first_seq) VALUES (?, ?, ?, ?)').run(
      window.actor,
      window.attempted,
      window.openedAt,
      window.firstSeq,
    );
  }

  countRepeat(window: RefusalWindow, at: string): void {
    statement(
      this.db,
      'UPDATE refusal_windows SET repeats = repeats + 1, last_at = ?, secrets = ?, more_secrets = ? WHERE actor = ? AND attempted = ?',
    ).run(at, JSON.stringify(window.secrets), window.moreSecrets ? 1 : 0, window.actor, window.attempted);
  }

  remove(window: RefusalWindow): void {
    statement(this.db, 'DELETE FROM refusal_windows WHERE actor = ? AND attempted = ?').run(window.actor, window.attempted);
  }
}

function fromRow(row: WindowRow): RefusalWindow {
  return {
    actor: row.actor,
    attempted: row.attempted,
    openedAt: row.opened_at,
    firstSeq: row.first_seq,
    repeats: row.repeats,
    lastAt: row.last_at,
    secrets: JSON.parse(row.secrets) as string[],
    moreSecrets: row.more_secrets === 1,
  };
}
