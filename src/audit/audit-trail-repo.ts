import type { HmacKeyring } from '../core/hmac-keyring.js';
import { INVENTORY_EVENT_SQL } from '../inventory/inventory-replay.js';
import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import type { AuditEvent } from './audit-event.js';
import { rowToEvent, verifyAuditChain, type AuditRow, type ChainBreak } from './audit-log.js';

/** Where the chain ends: the position and hash every later append links to. */
export interface AuditChainHead {
  seq: number;
  hash: string;
}

/**
 * Reads the audit log for evidence and reports: the events of one rotation or incident, the
 * provider's events around them, and the schedule history of every secret. Reads only; events are written
 * by AuditLog alone.
 */
export class AuditTrailRepo {
  /** `keys`: ROTOR_AUDIT_KEY, so evidence verifies the chain exactly as `rotor audit verify` does. */
  constructor(
    private readonly db: Db,
    private readonly keys: HmacKeyring | null = null,
  ) {}

  /** Runs `read` in one read transaction, so every query in it sees the same state of the log. */
  snapshot<T>(read: () => T): T {
    return this.db.transaction(read).deferred();
  }

  /** Walks the whole chain with the configured keys, as `rotor audit verify` does. */
  verify(): { events: number; firstBreak: ChainBreak | null } {
    return verifyAuditChain(this.db, { keys: this.keys });
  }

  head(): AuditChainHead | null {
    return (statement(this.db, 'SELECT seq, hash FROM audit_head WHERE id = 1').get() as AuditChainHead | undefined) ?? null;
  }

  /** The events at these positions as the chain holds them now (seq and hash); a position no longer there is left out. */
  positions(seqs: readonly number[]): AuditChainHead[] {
    return statement(this.db, 'SELECT seq, hash FROM audit_events WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq').all(
      JSON.stringify(seqs),
    ) as AuditChainHead[];
  }

  /** Events that name the rotation (`details.rotation`), oldest first. */
  ofRotation(rotationId: number, secretName: string): AuditEvent[] {
    const rows = statement(
      this.db,
      `SELECT * FROM audit_events WHERE secret = ? AND json_extract(details, '$.rotation') = ? ORDER BY seq`,
    ).all(secretName, rotationId) as AuditRow[];
    return rows.map(rowToEvent);
  }

  /** Events that name the incident (`details.incident`), oldest first; all of them are about its secret. */
  ofIncident(incidentId: number, secretName: string): AuditEvent[] {
    const rows = statement(
      this.db,
      `SELECT * FROM audit_events WHERE secret = ? AND json_extract(details, '$.incident') = ? ORDER BY seq`,
    ).all(secretName, incidentId) as AuditRow[];
    return rows.map(rowToEvent);
  }

  /** The provider's events on a secret between two positions of the chain (inclusive). */
  providerEvents(secretName: string, fromSeq: number, toSeq: number): AuditEvent[] {
    const rows = statement(
      this.db,
      `SELECT * FROM audit_events WHERE secret = ? AND seq BETWEEN ? AND ? AND action LIKE 'provider.%' ORDER BY seq`,
    ).all(secretName, fromSeq, toSeq) as AuditRow[];
    return rows.map(rowToEvent);
  }

  /** Every event naming the rotation (`details.rotation`), whatever secret it names, oldest first: what its replay reads. */
  namingRotation(rotationId: number): AuditEvent[] {
    const rows = statement(this.db, `SELECT * FROM audit_events WHERE json_extract(details, '$.rotation') = ? ORDER BY seq`).all(
      rotationId,
    ) as AuditRow[];
    return rows.map(rowToEvent);
  }

  /** Every event naming the incident (`details.incident`), whatever secret it names, oldest first: what its replay reads. */
  namingIncident(incidentId: number): AuditEvent[] {
    const rows = statement(this.db, `SELECT * FROM audit_events WHERE json_extract(details, '$.incident') = ? ORDER BY seq`).all(
      incidentId,
    ) as AuditRow[];
    return rows.map(rowToEvent);
  }

  /** The inventory's events of one secret, or of every secret, oldest first: what the inventory's replay reads. */
  secretHistory(name?: string): AuditEvent[] {
    const rows = statement(
      this.db,
      `SELECT * FROM audit_events WHERE ${INVENTORY_EVENT_SQL} AND (@name IS NULL OR secret = @name) ORDER BY seq`,
    ).all({ name: name ?? null }) as AuditRow[];
    return rows.map(rowToEvent);
  }

  /** Every event, oldest first, one at a time: what `rotor audit verify --deep` replays. */
  all(): IterableIterator<AuditEvent> {
    const rows = this.db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as IterableIterator<AuditRow>;
    return (function* () {
      for (const row of rows) yield rowToEvent(row);
    })();
  }

  /** Every event with one of `actions`, oldest first. */
  withActions(actions: readonly string[]): AuditEvent[] {
    const rows = statement(this.db, 'SELECT * FROM audit_events WHERE action IN (SELECT value FROM json_each(?)) ORDER BY seq').all(
      JSON.stringify(actions),
    ) as AuditRow[];
    return rows.map(rowToEvent);
  }
}
