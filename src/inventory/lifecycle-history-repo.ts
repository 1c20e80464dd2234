import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import type { Lifecycle } from './secret.js';

/**
 * When secrets entered a lifecycle, read from the audit events InventoryService writes with each
 * change (a created secret's fields, an update's changes, a lifecycle change): every change goes
 * through the audit log, so the log is where the day a secret was marked compromised is kept.
 */
export class LifecycleHistoryRepo {
  constructor(private readonly db: Db) {}

  /** For each named secret, the instant of the latest event that set its lifecycle to `lifecycle`. */
  enteredAt(names: readonly string[], lifecycle: Lifecycle): Map<string, string> {
    const found = new Map<string, string>();
    const query = statement(
      this.db,
      `SELECT secret, max(at) AS at FROM audit_events
       WHERE secret IN (SELECT value FROM json_each(@names)) AND (
         (action = 'secret.lifecycle_changed' AND json_extract(details, '$.to') = @lifecycle)
         OR (action = 'secret.updated' AND json_extract(details, '$.changes.lifecycle.to') = @lifecycle)
         OR (action = 'secret.created' AND json_extract(details, '$.fields.lifecycle') = @lifecycle))
       GROUP BY secret`,
    );
    for (let start = 0; start < names.length; start += 1000) {
      const rows = query.all({ names: JSON.stringify(names.slice(start, start + 1000)), lifecycle }) as { secret: string; at: string }[];
      for (const row of rows) found.set(row.secret, row.at);
    }
    return found;
  }
}
