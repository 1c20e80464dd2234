import type { Clock } from '../core/clock.js';
import type { HmacKeyring } from '../core/hmac-keyring.js';
import { inWriteTransaction, type Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import { buildCheckpoint, type AuditCheckpoint } from './audit-checkpoint.js';
import type { AuditEvent } from './audit-event.js';
import { rowToEvent, type AuditRow } from './audit-log.js';

/** Where published events go: the bot's JSON log stream, which a SIEM keeps. */
export interface AuditStream {
  event(event: AuditEvent): void;
  checkpoint(checkpoint: AuditCheckpoint): void;
}

/**
 * Publishes every audit event once, whatever process wrote it: the CLI, this bot, another
 * replica, or a process that died between its commit and its log line. The database keeps how
 * far publication got; each batch is claimed and advanced inside one write transaction, so two
 * bots never publish the same range. Lines are written before that transaction commits: a
 * crash in between publishes the batch again (each event carries its seq), never loses it.
 * Each batch ends with a signed checkpoint of the newest event published.
 */
export class AuditPublisher {
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keys: HmacKeyring | null,
    private readonly stream: AuditStream,
    private readonly onError: (error: unknown) => void,
    private readonly batchSize = 500,
  ) {}

  /** Publishes all that is pending now; returns how many events went out. */
  publishPending(): number {
    // A read first: the write lock is taken only when there is something to claim, so polling
    // never waits behind (or holds up) another process's long write.
    if (!this.hasPending()) return 0;
    let total = 0;
    for (;;) {
      const published = inWriteTransaction(this.db, () => this.publishBatch());
      total += published;
      if (published < this.batchSize) return total;
    }
  }

  /** Publishes on the next turn of the event loop: one claim for all the events a request appended. */
  publishSoon(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.closed) return;
      try {
        this.publishPending();
      } catch (error) {
        // The periodic job picks up what this attempt could not claim.
        this.onError(error);
      }
    });
  }

  /** Publishes what is left and stops scheduling, before the database closes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.publishPending();
    } catch (error) {
      this.onError(error);
    }
  }

  private publishedUpTo(): number {
    return (statement(this.db, 'SELECT published_seq FROM audit_publication WHERE id = 1').pluck().get() as number | undefined) ?? 0;
  }

  private hasPending(): boolean {
    return statement(this.db, 'SELECT 1 FROM audit_events WHERE seq > ? LIMIT 1').get(this.publishedUpTo()) !== undefined;
  }

  private publishBatch(): number {
    const from = this.publishedUpTo();
    const rows = statement(this.db, 'SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?').all(
      from,
      this.batchSize,
    ) as AuditRow[];
    const last = rows[rows.length - 1];
    if (!last) return 0;
    for (const row of rows) this.stream.event(rowToEvent(row));
    this.stream.checkpoint(buildCheckpoint({ seq: last.seq, hash: last.hash }, this.clock.now().toUTC().toISO() as string, this.keys));
    statement(
      this.db,
      'INSERT INTO audit_publication (id, published_seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET published_seq = excluded.published_seq',
    ).run(last.seq);
    return rows.length;
  }
}
