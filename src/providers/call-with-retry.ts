import { setTimeout as sleep } from 'node:timers/promises';
import { Deadline } from '../core/deadline.js';

/** How hard Rotor tries one provider call before giving up. */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  /** Each attempt is abandoned after this long. */
  timeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 4,
  timeoutMs: 10_000,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
});

/** Raised when one attempt outlives `timeoutMs`; retried like any transient failure. */
export class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`No answer within ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

export interface RetryOptions {
  policy: RetryPolicy;
  /** True for failures worth another attempt (throttling, 5xx, timeouts, refused connections). */
  isTransient: (error: unknown) => boolean;
}

/**
 * The one retry helper for every provider call: bounded attempts, a timeout per attempt
 * (the signal aborts the request), exponential backoff with full jitter. The last error is
 * rethrown untouched so the provider edge can translate it by name. Inside a run with a
 * deadline (Deadline.run) the deadline also aborts the attempt in flight, and no attempt
 * starts after it.
 */
export async function callWithRetry<T>(operation: (signal: AbortSignal) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, isTransient } = options;
  const deadline = Deadline.current();
  let lastError: unknown;
  for (let attempt = 1; attempt <= policy.attempts; attempt += 1) {
    deadline?.signal.throwIfAborted();
    try {
      return await attemptWithTimeout(operation, policy.timeoutMs, deadline?.signal);
    } catch (error) {
      lastError = error;
      if (attempt === policy.attempts || !isTransient(error) || deadline?.passed) break;
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * ceiling, undefined, deadline ? { signal: deadline.signal } : {}).catch(() => undefined);
    }
  }
  throw lastError;
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
