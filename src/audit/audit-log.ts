import type { Clock } from '../core/clock.js';
import { RotorError } from '../core/errors.js';
import type { HmacKeyring } from '../core/hmac-keyring.js';
import { afterCommit, inWriteTransaction, type Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import {
  canonicalJson,
  GENESIS_HASH,
  hashEvent,
  keyedScheme,
  keyIdOfScheme,
  PLAIN_SCHEME,
  type AuditEvent,
  type AuditEventInput,
} from './audit-event.js';

export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  secret: string | null;
  details: string;
  prev_hash: string;
  hash: string;
  scheme: string;
}

/** The newest event as the head record names it, with the scheme of that event. */
export interface AuditHead {
  seq: number;
  hash: string;
  scheme: string | null;
}

/**
 * Receives every event this process appends, after its transaction commits: the bot uses it to
 * publish at once (see AuditPublisher, which also publishes what other processes wrote), the
 * CLI to log its own events when LOG_LEVEL is set.
 */
export type AuditSink = (event: AuditEvent) => void;

export class AuditLog {
  private readonly sinks: AuditSink[] = [];

  /** `keys`: ROTOR_AUDIT_KEY. Without it the chain is plain SHA-256 (see README, Security). */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly keys: HmacKeyring | null = null,
  ) {}

  /** The scheme new events get: keyed with the signing key, or plain without one. */
  get scheme(): string {
    return this.keys ? keyedScheme(this.keys.current.id) : PLAIN_SCHEME;
  }

  head(): AuditHead | null {
    return readHead(this.db);
  }

  /**
   * Records the switch to the current key (from the plain chain, or from an older key) as an
   * event of its own, so the chain says from which event on it is keyed, and by which key, even
   * before anything else is written. Without a key, refuses a chain that is already keyed.
   */
  useCurrentScheme(actor: string): AuditEvent | null {
    const head = this.head();
    this.refuseDowngrade(head);
    if (!this.keys || head?.scheme === this.scheme) return null;
    return this.log({ actor, action: 'audit.key_in_use', details: { keyId: this.keys.current.id, previousScheme: head?.scheme ?? null } });
  }

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
    const head = this.head();
    this.refuseDowngrade(head);
    const last = statement(this.db, 'SELECT max(seq) AS seq FROM audit_events').get() as { seq: number | null };
    const insert = statement(
      this.db,
      'INSERT INTO audit_events (seq, at, actor, action, secret, details, prev_hash, hash, scheme) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const at = this.clock.now().toUTC().toISO() as string;
    const scheme = this.scheme;
    const key = this.keys?.current;
    // The larger seq keeps inserts possible even after a tampered head; the head's hash as the
    // link means any tampering with the tail or the head stays a break in the chain.
    let seq = Math.max(head?.seq ?? 0, last.seq ?? 0);
    let prevHash = head?.hash ?? GENESIS_HASH;
    const events = inputs.map((input) => {
      seq += 1;
      const detailsJson = canonicalJson(input.details ?? {});
      const unhashed = {
        seq,
        at,
        actor: input.actor,
        action: input.action,
        secret: input.secret ?? null,
        details: input.details ?? {},
        prevHash,
        scheme,
      };
      const hash = hashEvent(unhashed, detailsJson, key);
      insert.run(seq, at, unhashed.actor, unhashed.action, unhashed.secret, detailsJson, prevHash, hash, scheme);
      prevHash = hash;
      return { ...unhashed, hash };
    });
    statement(
      this.db,
      'INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash',
    ).run(seq, prevHash);
    return events;
  }

  /** Once keyed, the chain only grows keyed: an unkeyed event after a keyed one is a break. */
  private refuseDowngrade(head: AuditHead | null): void {
    if (this.keys || !head?.scheme || head.scheme === PLAIN_SCHEME) return;
    throw new RotorError(
      'config',
      `The audit log is keyed (its newest event is ${head.scheme}) but ROTOR_AUDIT_KEY is not set: Rotor cannot add to it without a key, since an unkeyed event after keyed ones breaks the chain. Set ROTOR_AUDIT_KEY (the same key, or a new one followed by a comma and the old one).`,
    );
  }
}

function readHead(db: Db): AuditHead | null {
  const head = statement(
    db,
    'SELECT h.seq, h.hash, e.scheme FROM audit_head h LEFT JOIN audit_events e ON e.seq = h.seq WHERE h.id = 1',
  ).get() as AuditHead | undefined;
  return head ?? null;
}

export interface ChainBreak {
  seq: number;
  reason: string;
  /**
   * Set when the chain could not be checked rather than found broken: the id of the audit key
   * that signed event `seq` and is not in ROTOR_AUDIT_KEY. Nothing says the event was changed.
   */
  missingKeyId?: string;
}

export interface VerifyOptions {
  /** ROTOR_AUDIT_KEY: every key that signed an event of the chain must be in it. */
  keys?: HmacKeyring | null;
  /** A head published earlier (a checkpoint): the chain must still hold that event, unchanged. */
  expectHead?: { seq: number; hash: string };
  /**
   * A keyed event whose key is not at hand: `fail` (audit verify) or `links` (a backup's check,
   * which may run without the key): check its position and link, not its MAC.
   */
  withoutKey?: 'fail' | 'links';
}

export interface ChainReport {
  events: number;
  /** The last event verified, or null for an empty chain. */
  head: { seq: number; hash: string } | null;
  /** The first keyed event, or null when none is keyed. */
  keyedFrom: number | null;
  /** Key ids that signed events, oldest first. */
  keyIds: string[];
  /** Keyed events whose MAC could not be checked (only with `withoutKey: 'links'`). */
  unchecked: number;
  firstBreak: ChainBreak | null;
}

/**
 * Walks the whole chain in order and names the first event whose content, position or link
 * does not match: an altered row changes its hash, a removed row leaves a gap in `seq` and a
 * dangling `prev_hash`, reordered rows break both. Keyed events are checked with their key, and
 * an unkeyed event after a keyed one is a break (a downgrade), as is a chain whose newest event
 * is unkeyed while a key is configured (Rotor keys every event once it has a key, and marks the
 * switch with an event of its own). An empty chain while the inventory has secrets is a break:
 * deleting every event and the head leaves nothing else to notice.
 */
export function verifyAuditChain(db: Db, options: VerifyOptions = {}): ChainReport {
  const keys = options.keys ?? null;
  const report: ChainReport = { events: 0, head: null, keyedFrom: null, keyIds: [], unchecked: 0, firstBreak: null };
  const broken = (seq: number, reason: string, missingKeyId?: string): ChainReport => ({
    ...report,
    firstBreak: { seq, reason, ...(missingKeyId ? { missingKeyId } : {}) },
  });
  let expectedSeq = 1;
  let previousHash = GENESIS_HASH;
  let pinned: string | null = null;
  for (const row of db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as IterableIterator<AuditRow>) {
    report.events += 1;
    if (row.seq !== expectedSeq) return broken(row.seq, `expected event #${expectedSeq} here: an event was removed or renumbered`);
    if (row.prev_hash !== previousHash)
      return broken(row.seq, 'its link to the previous event does not match: an event before it was removed, altered or reordered');
    const keyId = keyIdOfScheme(row.scheme);
    if (row.scheme === PLAIN_SCHEME) {
      if (report.keyedFrom !== null)
        return broken(
          row.seq,
          `it is not keyed, but keyed events come before it (from #${report.keyedFrom}): an unkeyed event can only have been written without the key, by someone other than Rotor`,
        );
    } else if (keyId === null) {
      return broken(row.seq, `its scheme \`${row.scheme}\` is not one Rotor writes: the row was altered`);
    } else {
      report.keyedFrom ??= row.seq;
      if (!report.keyIds.includes(keyId)) report.keyIds.push(keyId);
    }
    const key = keyId === null ? undefined : keys?.byId(keyId);
    if (keyId !== null && !key) {
      if (options.withoutKey !== 'links') {
        return broken(
          row.seq,
          `it is signed with audit key ${keyId}, which is not configured: set ROTOR_AUDIT_KEY to that key (keys retired since go after the signing one, separated by commas)`,
          keyId,
        );
      }
      report.unchecked += 1;
    } else {
      const recomputed = hashEvent(
        { seq: row.seq, at: row.at, actor: row.actor, action: row.action, secret: row.secret, prevHash: row.prev_hash, scheme: row.scheme },
        row.details,
        key,
      );
      if (recomputed !== row.hash)
        return broken(
          row.seq,
          key
            ? 'its content does not match its MAC: the row was altered or forged without the key'
            : 'its content does not match its hash: the row was altered',
        );
    }
    if (options.expectHead?.seq === row.seq) pinned = row.hash;
    previousHash = row.hash;
    report.head = { seq: row.seq, hash: row.hash };
    expectedSeq += 1;
  }
  const head = readHead(db);
  if (head && (head.seq !== expectedSeq - 1 || head.hash !== previousHash)) {
    return broken(
      expectedSeq,
      `the log ends at event #${expectedSeq - 1} but its head records #${head.seq}: the newest events were removed or the head was altered`,
    );
  }
  if (!head && report.events > 0) return broken(1, 'the log has events but no head record: the head was removed');
  if (report.events === 0) {
    const secrets = statement(db, 'SELECT count(*) FROM secrets').pluck().get() as number;
    if (secrets > 0)
      return broken(
        1,
        `the log is empty while the inventory holds ${secrets} secret${secrets === 1 ? '' : 's'}, each of which was recorded when added: the events and the head were deleted`,
      );
  }
  if (keys && report.events > 0 && report.keyedFrom === null) {
    return broken(
      report.events,
      'ROTOR_AUDIT_KEY is set but no event is keyed: either the chain was rewritten without the key, or nothing was written since the key was set (start the bot once with the key, which records the switch)',
    );
  }
  const expected = options.expectHead;
  if (expected) {
    if (expected.seq > expectedSeq - 1)
      return broken(
        expectedSeq,
        `the log ends at event #${expectedSeq - 1}, but the pinned head is #${expected.seq}: events published earlier were removed`,
      );
    if (pinned !== expected.hash)
      return broken(
        expected.seq,
        `event #${expected.seq} is not the one the pinned head names (hash ${expected.hash.slice(0, 16)}…): the chain was rewritten at or before it`,
      );
  }
  return report;
}

export function rowToEvent(row: AuditRow): AuditEvent {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    secret: row.secret,
    details: JSON.parse(row.details) as AuditEvent['details'],
    prevHash: row.prev_hash,
    hash: row.hash,
    scheme: row.scheme,
  };
}

export function listAuditEvents(db: Db, range: { since?: string; until?: string }): IterableIterator<AuditEvent> {
  const rows = db
    .prepare('SELECT * FROM audit_events WHERE at >= ? AND at < ? ORDER BY seq')
    .iterate(range.since ?? '', range.until ?? '\uffff') as IterableIterator<AuditRow>;
  return (function* () {
    for (const row of rows) yield rowToEvent(row);
  })();
}
