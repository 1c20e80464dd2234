import { AsyncLocalStorage } from 'node:async_hooks';
import { RotorError, type ErrorCode } from './errors.js';

/** ROTOR_RUN_DEADLINE_SECONDS when unset: ten minutes, within the sweeps' claim timeout. */
export const DEFAULT_RUN_DEADLINE_SECONDS = 600;

/** Why an aborted call was aborted: the run it belongs to is out of time. */
export class DeadlinePassed extends Error {
  constructor(readonly seconds: number) {
    super(`the run's ${seconds} s deadline passed`);
    this.name = 'DeadlinePassed';
  }
}

/**
 * A run that stopped at its deadline: what it did is in `partial` (the report so far, with what
 * it left), the message says it in a sentence. Callers report it as a failure.
 */
export class DeadlineExceededError<Report> extends RotorError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly partial: Report,
  ) {
    super(code, message);
    this.name = 'DeadlineExceededError';
  }
}

const ambient = new AsyncLocalStorage<Deadline>();

/**
 * The overall time limit of one run (a sweep, a sync): once it passes, the run claims no more
 * work and reports. Measured with a timer, not the injected clock: a rehearsal at `--at` or a
 * test's fixed clock still runs in real time.
 */
export class Deadline {
  private constructor(
    readonly seconds: number,
    /** Aborted when the deadline passes, with a DeadlinePassed reason. */
    readonly signal: AbortSignal,
  ) {}

  static after(seconds: number): Deadline {
    const controller = new AbortController();
    // Unreferenced: a deadline never keeps a finished CLI alive.
    setTimeout(() => controller.abort(new DeadlinePassed(seconds)), seconds * 1000).unref();
    return new Deadline(seconds, controller.signal);
  }

  /** The deadline of the run the caller is part of, if it made itself ambient with `run`. */
  static current(): Deadline | undefined {
    return ambient.getStore();
  }

  get passed(): boolean {
    return this.signal.aborted;
  }

  /**
   * Runs `work` with this deadline ambient, so calls deep inside (provider requests, through
   * callWithRetry) are aborted when it passes, without every signature passing it along.
   */
  run<T>(work: () => Promise<T>): Promise<T> {
    return ambient.run(this, work);
  }

  /**
   * Waits for `work` or the deadline, whichever comes first. Work still going at the deadline is
   * left to finish on its own (it must stop claiming work itself, by checking `passed`); its
   * later failure is not an unhandled rejection.
   */
  async race<T>(work: Promise<T>): Promise<{ done: true; value: T } | { done: false }> {
    work.catch(() => undefined);
    if (this.passed) return { done: false };
    let onAbort: () => void = () => undefined;
    const expired = new Promise<{ done: false }>((resolve) => {
      onAbort = () => resolve({ done: false });
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work.then((value) => ({ done: true as const, value })), expired]);
    } finally {
      this.signal.removeEventListener('abort', onAbort);
    }
  }
}
