import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { projectRoot } from '../../core/project-root.js';
import type { ReplyContext } from './answer-read.js';
import type { MainThreadAsk, ReplyJob, ReplyOutcome, ReplyWorkerData, ToWorker, WorkerMessage } from './reply-protocol.js';

export interface ReplyPoolOptions {
  size: number;
  worker: ReplyWorkerData;
  logger: Logger;
  /** Answers a job on this thread: for the jobs a dying worker leaves unanswered, and for all of them while no worker can start. */
  fallback: (job: ReplyJob) => Promise<ReplyOutcome>;
  /** Does here what a worker asks of this thread: the writes (a refusal's audit, user groups), on the single writer. */
  main: ReplyContext['main'];
  /** Replies one worker makes at once; the rest wait on this thread, a few hundred bytes each. */
  perWorker?: number;
  /** How long a worker with nothing to do lives on before it exits (its heap and page cache go with it). */
  idleMs?: number;
}

interface Waiting {
  job: ReplyJob;
  resolve: (outcome: ReplyOutcome) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  running: Map<number, Waiting>;
  idle?: NodeJS.Timeout;
  /** Exiting because it had nothing to do: its exit is no failure. */
  retiring: boolean;
}

const DEFAULT_PER_WORKER = 16;
/**
 * A worker costs 10 to 20 MB resident (its own V8 heap, code and page cache) whether it works or
 * not: it starts at the first reply, and exits after this long without one; the next reply starts
 * another (about 100 ms, while the reply waits on this thread).
 */
const DEFAULT_IDLE_MS = 30_000;
/**
 * A worker's heap: a reply needs a page of rows and its Block Kit. A small young generation keeps
 * the resident set small; its more frequent scavenges pause only the worker, never an ack. Under
 * 6,000 queued `/secrets overdue` the worker's heap was 30 to 34 MB with 8 MB (new space 8 MB,
 * old 20 to 23) and 26 MB with 3 MB (new space 2 MB, old the same), the process's CPU for the
 * round no higher within the machine's noise (docs/memory.md).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 3, maxOldGenerationSizeMb: 96 };

/**
 * Worker threads that make read-only replies off the acknowledging thread: its event loop then
 * only reads, checks and acknowledges requests, and its heap no longer grows with the replies'
 * allocations. Workers start on demand (up to `size`: another as soon as every live one is making
 * a reply) and exit once idle for `idleMs`. A worker
 * that dies (a crash, its heap limit) is replaced, and the replies it had not finished are made
 * here instead, so each is still delivered; one that cannot even start (no database file, no
 * build) leaves every reply to this thread, said once in the log.
 */
export class ReplyPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Waiting[] = [];
  private readonly perWorker: number;
  private readonly idleMs: number;
  private nextId = 1;
  private closing = false;
  private broken = false;

  constructor(private readonly options: ReplyPoolOptions) {
    this.perWorker = options.perWorker ?? DEFAULT_PER_WORKER;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }

  /** Makes the reply in a worker (here, when none can run); resolves with how it went. */
  run(job: Omit<ReplyJob, 'id'>): Promise<ReplyOutcome> {
    return new Promise((resolve) => {
      this.waiting.push({ job: { ...job, id: this.nextId++ }, resolve });
      this.pump();
    });
  }

  /** The live workers' threads (none until the first reply, and after a quiet spell), for operators' drills and the tests that kill one. */
  get threads(): readonly Worker[] {
    return this.slots.map((slot) => slot.worker);
  }

  /** Stops the workers; call once no reply is in flight (the app drains its requests first). */
  async close(): Promise<void> {
    this.closing = true;
    for (const slot of this.slots) clearTimeout(slot.idle);
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
    this.slots.length = 0;
    for (const left of this.waiting.splice(0)) this.runHere(left);
  }

  private spawn(): Slot {
    const worker = new Worker(workerScript(), { workerData: this.options.worker, resourceLimits: WORKER_LIMITS });
    const slot: Slot = { worker, ready: false, running: new Map(), retiring: false };
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        slot.ready = true;
      } else if (message.type === 'ask') {
        this.answer(worker, message.askId, message.ask);
        return;
      } else {
        const { type: _type, id, ...outcome } = message;
        const entry = slot.running.get(id);
        slot.running.delete(id);
        entry?.resolve(outcome as ReplyOutcome);
      }
      this.pump();
      if (slot.running.size === 0) this.idleSoon(slot);
    });
    worker.on('error', (error) => this.options.logger.error({ err: error, threadId: worker.threadId }, 'a reply worker failed'));
    worker.once('exit', (code) => this.replace(slot, code));
    return slot;
  }

  /** A worker's ask, done here; the answer goes back unless the worker has gone (its replies are then made here). */
  private answer(worker: Worker, askId: number, ask: MainThreadAsk): void {
    const done = ask.kind === 'record-refusals' ? this.options.main.recordRefusals(ask.refusals) : this.options.main.refreshUserGroups();
    void done.then(
      () => this.tell(worker, { type: 'answer', askId, ok: true }),
      (error: unknown) => {
        this.options.logger.error({ err: error, ask: ask.kind }, 'could not do what a reply worker asked');
        this.tell(worker, { type: 'answer', askId, ok: false, error: error instanceof Error ? error.message : String(error) });
      },
    );
  }

  private tell(worker: Worker, message: ToWorker): void {
    try {
      worker.postMessage(message);
    } catch {
      // The worker has exited: its unanswered replies are made on this thread.
    }
  }

  /** Lets `slot` exit if it is still idle after the quiet spell; the next reply starts a worker again. */
  private idleSoon(slot: Slot): void {
    clearTimeout(slot.idle);
    slot.idle = setTimeout(() => {
      if (slot.running.size > 0 || this.closing) return;
      slot.retiring = true;
      this.remove(slot);
      void slot.worker.terminate();
    }, this.idleMs);
    slot.idle.unref();
  }

  private remove(slot: Slot): void {
    clearTimeout(slot.idle);
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
  }

  private replace(slot: Slot, code: number): void {
    this.remove(slot);
    if (slot.retiring) {
      this.pump();
      return;
    }
    const orphans = [...slot.running.values()];
    if (this.closing) {
      for (const orphan of orphans) this.runHere(orphan);
      return;
    }
    if (!slot.ready) {
      // It died starting: another would too. Every reply is made on this thread from now on.
      this.broken = true;
      this.options.logger.error({ exitCode: code }, 'a reply worker could not start; replies are made on the main thread');
    } else {
      this.options.logger.warn(
        { exitCode: code, unanswered: orphans.length },
        'a reply worker stopped; replaced, and its unanswered replies made on the main thread',
      );
      this.slots.push(this.spawn());
    }
    for (const orphan of orphans) this.runHere(orphan);
    this.pump();
  }

  private runHere(entry: Waiting): void {
    void this.options.fallback(entry.job).then(entry.resolve);
  }

  private pump(): void {
    if (this.broken || this.closing) {
      for (const left of this.waiting.splice(0)) this.runHere(left);
      return;
    }
    while (this.waiting.length > 0) {
      const slot = this.leastBusy();
      // Even the least busy worker is making a reply: the next waits for a worker of its own while
      // the pool may grow, so replies render side by side as they did when every worker ran from the start.
      if (!slot || (slot.running.size > 0 && this.mayGrow())) {
        this.grow();
        return;
      }
      const entry = this.waiting.shift() as Waiting;
      clearTimeout(slot.idle);
      slot.running.set(entry.job.id, entry);
      slot.worker.postMessage({ type: 'job', job: entry.job } satisfies ToWorker);
    }
  }

  private underSize(): boolean {
    return this.slots.length < this.options.size;
  }

  private starting(): boolean {
    return this.slots.some((slot) => !slot.ready);
  }

  /** Whether another worker is starting or may start: the pool is under its size. */
  private mayGrow(): boolean {
    return this.underSize() || this.starting();
  }

  /** Replies wait and even the least busy worker is making one: one more starts, unless one is starting already or the pool is at its size. */
  private grow(): void {
    if (this.underSize() && !this.starting()) this.slots.push(this.spawn());
  }

  private leastBusy(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (!slot.ready || slot.running.size >= this.perWorker) continue;
      if (!best || slot.running.size < best.running.size) best = slot;
    }
    return best;
  }
}

/**
 * The worker's script. Built, it sits beside this file; under the test runner this file is
 * TypeScript, which a worker thread cannot load, so the worker runs the build (`npm test` builds first).
 */
function workerScript(): URL {
  const sibling = new URL('./reply-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  return pathToFileURL(join(projectRoot, 'dist', 'src', 'slack', 'replies', 'reply-worker.js'));
}
