import type { Clock } from '../core/clock.js';
import { afterCommit, inWriteTransaction, type Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import { canonicalJson, GENESIS_HASH, hashEvent, type AuditEvent, type AuditEventInput } from './audit-event.js';

export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  secret: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/** Receives every appended event, after its transaction commits: the SIEM's structured log line. */
export type AuditSink = (event: AuditEvent) => void;

export class AuditLog {
  private readonly sinks: AuditSink[] = [];

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  onAppend(sink: AuditSink): void {
    this.sinks.push(sink);
  }

  /**
   * The one way Rotor changes anything: runs `change` and appends its audit events in the
   * same write transaction, so a change is never stored without its evidence or vice versa.
   * `change` returns its result and the events that describe it (none when nothing changed).
   */
  record<T>(change: () => { result: T; events: AuditEventInput[] }): T {
    return inWriteTransaction(this.db, () => {
      const outcome = change();
      this.appendAndPublish(outcome.events);
      return outcome.result;
    });
  }

  /** Records one event with no other change (refusals, notifications sent, exports). */
  log(input: AuditEventInput): AuditEvent {
    return inWriteTransaction(this.db, () => this.appendAndPublish([input])[0] as AuditEvent);
  }

  /**
   * Inside an enclosing transaction the sinks wait for the outermost commit: the log stream (the
   * SIEM's copy) must never hold an event the database rolled back.
   */
  private appendAndPublish(inputs: readonly AuditEventInput[]): AuditEvent[] {
    const appended = this.appendAll(inputs);
    afterCommit(this.db, () => {
      for (const event of appended) for (const sink of this.sinks) sink(event);
    });
    return appended;
  }

  /**
   * Chains the events onto the head record, not onto whatever row is last: if someone deleted
   * the newest events, the next append must leave that gap visible to `audit verify` instead of
   * re-linking the chain over it. Runs inside a write transaction, so the head read here is
   * still the head when the events are inserted, whichever process writes next.
   */
  private appendAll(inputs: readonly AuditEventInput[]): AuditEvent[] {
    if (inputs.length === 0) return [];
    const head = statement(this.db, 'SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
    const last = statement(this.db, 'SELECT max(seq) AS seq FROM audit_events').get() as { seq: number | null };
    const insert = statement(this.db, 'INSERT INTO audit_events (seq, at, actor, action, secret, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const at = this.clock.now().toUTC().toISO() as string;
    // The larger seq keeps inserts possible even after a tampered head; the head's hash as the
    // link means any tampering with the tail or the head stays a break in the chain.
    let seq = Math.max(head?.seq ?? 0, last.seq ?? 0);
    let prevHash = head?.hash ?? GENESIS_HASH;
    const events = inputs.map((input) => {
      seq += 1;
      const detailsJson = canonicalJson(input.details ?? {});
      const unhashed = { seq, at, actor: input.actor, action: input.action, secret: input.secret ?? null, details: input.details ?? {}, prevHash };
      const hash = hashEvent(unhashed, detailsJson);
      insert.run(seq, at, unhashed.actor, unhashed.action, unhashed.secret, detailsJson, prevHash, hash);
      prevHash = hash;
      return { ...unhashed, hash };
    });
    statement(this.db, 'INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash').run(seq, prevHash);
    return events;
  }
}

export interface ChainBreak {
  seq: number;
  reason: string;
}

/**
 * Walks the whole chain in order and names the first event whose content, position or link
 * does not match: an altered row changes its hash, a removed row leaves a gap in `seq` and a
 * dangling `prev_hash`, reordered rows break both.
 */
export function verifyAuditChain(db: Db): { events: number; firstBreak: ChainBreak | null } {
  let expectedSeq = 1;
  let previousHash = GENESIS_HASH;
  let count = 0;
  for (const row of db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as IterableIterator<AuditRow>) {
    count += 1;
    if (row.seq !== expectedSeq) {
      return { events: count, firstBreak: { seq: row.seq, reason: `expected event #${expectedSeq} here: an event was removed or renumbered` } };
    }
    if (row.prev_hash !== previousHash) {
      return { events: count, firstBreak: { seq: row.seq, reason: 'its link to the previous event does not match: an event before it was removed, altered or reordered' } };
    }
    const recomputed = hashEvent({ seq: row.seq, at: row.at, actor: row.actor, action: row.action, secret: row.secret, prevHash: row.prev_hash }, row.details);
    if (recomputed !== row.hash) {
      return { events: count, firstBreak: { seq: row.seq, reason: 'its content does not match its hash: the row was altered' } };
    }
    previousHash = row.hash;
    expectedSeq += 1;
  }
  const head = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
  if (head && (head.seq !== expectedSeq - 1 || head.hash !== previousHash)) {
    return { events: count, firstBreak: { seq: expectedSeq, reason: `the log ends at event #${expectedSeq - 1} but its head records #${head.seq}: the newest events were removed or the head was altered` } };
  }
  if (!head && count > 0) {
    return { events: count, firstBreak: { seq: 1, reason: 'the log has events but no head record: the head was removed' } };
  }
  return { events: count, firstBreak: null };
}

export function listAuditEvents(db: Db, range: { since?: string; until?: string }): IterableIterator<AuditEvent> {
  const rows = db
    .prepare('SELECT * FROM audit_events WHERE at >= ? AND at < ? ORDER BY seq')
    .iterate(range.since ?? '', range.until ?? '\uffff') as IterableIterator<AuditRow>;
  return (function* () {
    for (const row of rows) yield auditEventFromRow(row);
  })();
}

export function auditEventFromRow(row: AuditRow): AuditEvent {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    secret: row.secret,
    details: JSON.parse(row.details) as AuditEvent['details'],
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
