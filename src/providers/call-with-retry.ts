import { setTimeout as sleep } from 'node:timers/promises';

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
 * rethrown untouched so the provider edge can translate it by name.
 */
export async function callWithRetry<T>(operation: (signal: AbortSignal) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, isTransient } = options;
  let lastError: unknown;
  for (let attempt = 1; attempt <= policy.attempts; attempt += 1) {
    try {
      return await attemptWithTimeout(operation, policy.timeoutMs);
    } catch (error) {
      lastError = error;
      if (attempt === policy.attempts || !isTransient(error)) break;
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * ceiling);
    }
  }
  throw lastError;
}

async function attemptWithTimeout<T>(operation: (signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new AttemptTimeoutError(timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  const attempt = operation(controller.signal);
  // The losing promise of the race must not surface as an unhandled rejection.
  attempt.catch(() => undefined);
  try {
    return await Promise.race([attempt, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
