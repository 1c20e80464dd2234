import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';

/** Weekly digests already posted, keyed by ISO week, so two processes post one. */
export class WeeklyDigestRepo {
  constructor(private readonly db: Db) {}

  /** True when this process won the week (no digest was posted or claimed for it yet). */
  claim(week: string, at: string, channel: string): boolean {
    return (
      statement(
        this.db,
        'INSERT INTO reminder_weekly_digests (week, posted_at, channel) VALUES (?, ?, ?) ON CONFLICT (week) DO NOTHING',
      ).run(week, at, channel).changes === 1
    );
  }

  markPosted(week: string, messageTs: string): void {
    statement(this.db, 'UPDATE reminder_weekly_digests SET message_ts = ? WHERE week = ?').run(messageTs, week);
  }

  /** Gives the week back after a post that failed, so the next run tries again. */
  release(week: string): void {
    statement(this.db, 'DELETE FROM reminder_weekly_digests WHERE week = ?').run(week);
  }
}
