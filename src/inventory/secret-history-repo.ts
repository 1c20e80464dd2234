import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import type { Lifecycle } from './secret.js';

/**
 * What the audit log says about secrets' past, from the events InventoryService writes with each
 * change (a created secret's fields, an update's changes, a lifecycle change, a rotation): every
 * change goes through the audit log, so the log is where the day a secret was marked compromised
 * and the count of its changes are kept.
 */
export class SecretHistoryRepo {
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

  /**
   * For each named secret, how many changes of it were recorded after its creation (0 for one
   * never changed). Only the inventory's own `secret.*` events count, and not a provider version
   * merely recorded (`secret.version_*`): refusals, reminders and syncs name a secret too, but
   * change nothing people see of it.
   */
  revisions(names: readonly string[]): Map<string, number> {
    const found = new Map<string, number>();
    const query = statement(
      this.db,
      `SELECT secret, count(*) AS n FROM audit_events
       WHERE secret IN (SELECT value FROM json_each(?)) AND action LIKE 'secret.%' AND action <> 'secret.created' AND action NOT LIKE 'secret.version%'
       GROUP BY secret`,
    );
    for (let start = 0; start < names.length; start += 1000) {
      for (const row of query.all(JSON.stringify(names.slice(start, start + 1000))) as { secret: string; n: number }[])
        found.set(row.secret, row.n);
    }
    return found;
  }
}
