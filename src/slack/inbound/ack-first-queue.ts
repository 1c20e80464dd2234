import { performance } from 'node:perf_hooks';

export interface AckFirstQueueOptions {
  /** Work waiting longer than this runs without yielding to new requests (Slack's trigger ids last 3 s). */
  maxWaitMs?: number;
  /** More work than this waiting runs without yielding too, so a long burst cannot hold unbounded memory. */
  maxWaiting?: number;
  /** At most this many pieces that have waited too long run in one loop iteration, so acks still get theirs. */
  overduePerTurn?: number;
  nowMs?: () => number;
}

/** Long enough to absorb a burst of acknowledgements, short enough that a modal opened after the ack still meets its trigger id. */
const DEFAULT_MAX_WAIT_MS = 1_000;
const DEFAULT_MAX_WAITING = 2_000;
/** Enough to catch up within a few hundred ms, few enough that an ack waits only milliseconds for them. */
const DEFAULT_OVERDUE_PER_TURN = 8;

/**
 * Orders the work listeners do after their ack behind the acknowledgements of requests that
 * are already waiting. Slack drops a request not acknowledged within 3 s, while a reply through
 * response_url may come minutes later; yet a listener's query, render and reply ran on the event
 * loop straight after its ack, so under load every new ack queued behind the previous requests'
 * replies. Here each piece of work waits for its turn: one per loop iteration, so the poll phase
 * (where new requests are read and acknowledged) runs between any two. Work that has waited
 * `maxWaitMs` gets up to `overduePerTurn` turns per iteration, and work beyond `maxWaiting`
 * pieces runs at once: a burst of up to `maxWaiting` requests is acknowledged at the speed of
 * the acks alone, while a sustained overload slows the acks to the pace of the work rather than
 * losing replies or growing memory.
 */
export class AckFirstQueue {
  private readonly waiting: { resolve: () => void; since: number }[] = [];
  private scheduled = false;
  private readonly maxWaitMs: number;
  private readonly maxWaiting: number;
  private readonly overduePerTurn: number;
  private readonly nowMs: () => number;

  constructor(options: AckFirstQueueOptions = {}) {
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.maxWaiting = options.maxWaiting ?? DEFAULT_MAX_WAITING;
    this.overduePerTurn = options.overduePerTurn ?? DEFAULT_OVERDUE_PER_TURN;
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  get size(): number {
    return this.waiting.length;
  }

  /** Resolves when it is the caller's turn. */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push({ resolve, since: this.nowMs() });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => this.release());
  }

  /** A check-phase callback: the next piece of work, some that waited too long, and all beyond the bound. */
  private release(): void {
    this.scheduled = false;
    const now = this.nowMs();
    this.waiting.shift()?.resolve();
    let overdue = 0;
    for (let oldest = this.waiting[0]; oldest !== undefined; oldest = this.waiting[0]) {
      if (this.waiting.length <= this.maxWaiting && (now - oldest.since < this.maxWaitMs || overdue >= this.overduePerTurn)) break;
      if (this.waiting.length <= this.maxWaiting) overdue += 1;
      this.waiting.shift();
      oldest.resolve();
    }
    this.schedule();
  }
}
