import type { Clock } from '../core/clock.js';
import { isoInstant } from '../core/clock.js';
import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';

/**
 * The rotation modals people have open (`rotation_views`), so one person's change redraws the
 * others'. Slack's business, not the rotation's: kept by the adapter, in the database so that a
 * restart or a second replica still finds them.
 */
export class RotationViewRepo {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Remembers the modal a person has open on the rotation (one per person: the newest). */
  saveView(rotationId: number, userId: string, viewId: string): void {
    statement(
      this.db,
      `INSERT INTO rotation_views (rotation_id, user_id, view_id, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (rotation_id, user_id) DO UPDATE SET view_id = excluded.view_id, updated_at = excluded.updated_at`,
    ).run(rotationId, userId, viewId, isoInstant(this.clock.now()));
  }

  views(rotationId: number): { userId: string; viewId: string }[] {
    const rows = statement(this.db, 'SELECT user_id, view_id FROM rotation_views WHERE rotation_id = ?').all(rotationId) as {
      user_id: string;
      view_id: string;
    }[];
    return rows.map((row) => ({ userId: row.user_id, viewId: row.view_id }));
  }
}
