import { setTimeout as sleep } from 'node:timers/promises';
import type { Deadline } from './deadline.js';

/** Raised when one attempt outlives its timeout; retried like any transient failure. */
export class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`No answer within ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

/**
 * Why the retrying stopped, for `giveUp` to say: the failure is not worth another attempt
 * (`final`), the attempts are spent, the run's deadline passed, or the wait the failure asked for
 * is longer than the caller will wait (`waitMs`, the wait that would have come).
 */
export type RetryStop =
  | { why: 'final' | 'attempts_spent' | 'deadline'; error: unknown; attempts: number }
  | { why: 'wait_too_long'; error: unknown; attempts: number; waitMs: number };

export interface RetryPlan {
  /** Attempts in all, the first included: the budget the caller spends on this call. */
  attempts: number;
  /** Each attempt is abandoned after this long (its signal aborts with an AttemptTimeoutError). */
  timeoutMs: number;
  /** The pause after failed attempt `attempt` (from 1) before the next one. */
  backoffMs: (attempt: number) => number;
  /** True for failures worth another attempt (throttling, 5xx, timeouts, refused connections). */
  isTransient: (error: unknown) => boolean;
  /**
   * The least wait a failure asks for (an HTTP 429's Retry-After), in ms; the pause is the longer
   * of it and the backoff. None asked when absent.
   */
  waitAskedMs?: (error: unknown) => number;
  /** A pause longer than this is not waited for: the call gives up (`wait_too_long`). Unbounded when absent. */
  longestWaitMs?: number;
  /** The run's deadline, if any: it aborts the attempt in flight and the pause, and no attempt starts after it. */
  deadline?: Deadline;
  /** What to throw when the call gives up; the last error, untouched, when absent. */
  giveUp?: (stop: RetryStop) => unknown;
}

/**
 * The one retry loop of Rotor's outbound calls (a store's API, a reply to Slack's response_url):
 * bounded attempts, a timeout per attempt (the signal aborts the request), a backoff between
 * attempts that a failure may lengthen but a cap may refuse. Each caller names what is transient,
 * how long to pause and what its failure says; the loop is the same for all.
 */
export async function withRetry<T>(operation: (signal: AbortSignal) => Promise<T>, plan: RetryPlan): Promise<T> {
  const { deadline } = plan;
  const giveUp = plan.giveUp ?? ((stop: RetryStop) => stop.error);
  for (let attempt = 1; ; attempt += 1) {
    deadline?.signal.throwIfAborted();
    try {
      return await attemptWithTimeout(operation, plan.timeoutMs, deadline?.signal);
    } catch (error) {
      if (!plan.isTransient(error)) throw giveUp({ why: 'final', error, attempts: attempt });
      if (attempt >= plan.attempts) throw giveUp({ why: 'attempts_spent', error, attempts: attempt });
      if (deadline?.passed) throw giveUp({ why: 'deadline', error, attempts: attempt });
      const waitMs = Math.max(plan.backoffMs(attempt), plan.waitAskedMs?.(error) ?? 0);
      if (plan.longestWaitMs !== undefined && waitMs > plan.longestWaitMs)
        throw giveUp({ why: 'wait_too_long', error, attempts: attempt, waitMs });
      await sleep(waitMs, undefined, deadline ? { signal: deadline.signal } : {}).catch(() => undefined);
    }
  }
}

async function attemptWithTimeout<T>(
  operation: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  deadline: AbortSignal | undefined,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onDeadline: () => void = () => undefined;
  const timedOut = new Promise<never>((_, reject) => {
    const abort = (error: unknown) => {
      controller.abort(error);
      reject(error);
    };
    timer = setTimeout(() => abort(new AttemptTimeoutError(timeoutMs)), timeoutMs);
    onDeadline = () => abort(deadline?.reason);
    deadline?.addEventListener('abort', onDeadline, { once: true });
  });
  const attempt = operation(controller.signal);
  // The losing promise of the race must not surface as an unhandled rejection.
  attempt.catch(() => undefined);
  try {
    return await Promise.race([attempt, timedOut]);
  } finally {
    clearTimeout(timer);
    deadline?.removeEventListener('abort', onDeadline);
  }
}
