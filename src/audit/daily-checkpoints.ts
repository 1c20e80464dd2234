import type { Clock } from '../core/clock.js';
import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import { buildCheckpoint, type AuditCheckpoint } from './audit-checkpoint.js';
import type { AuditLog } from './audit-log.js';

/**
 * One checkpoint of the audit head per UTC day for the announcement channel, however many
 * processes run: the day is claimed in the database before posting, and given back when the
 * post fails so a later run can try again.
 */
export class DailyCheckpoints {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  /** Today's checkpoint if this process claimed today; null when already claimed or the log is empty. */
  claim(): AuditCheckpoint | null {
    const head = this.audit.head();
    if (!head) return null;
    const now = this.clock.now().toUTC();
    const claimed = statement(
      this.db,
      'INSERT INTO audit_checkpoint_posts (day, seq, hash, posted_at) VALUES (?, ?, ?, ?) ON CONFLICT (day) DO NOTHING',
    ).run(now.toISODate(), head.seq, head.hash, now.toISO());
    return claimed.changes === 1 ? buildCheckpoint(head, now.toISO() as string, this.audit.keys) : null;
  }

  release(checkpoint: AuditCheckpoint): void {
    statement(this.db, 'DELETE FROM audit_checkpoint_posts WHERE day = ? AND seq = ?').run(checkpoint.at.slice(0, 10), checkpoint.seq);
  }
}
