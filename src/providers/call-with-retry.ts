import { Deadline } from '../core/deadline.js';
import { withRetry } from '../core/retry.js';

export { AttemptTimeoutError } from '../core/retry.js';

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

export interface RetryOptions {
  policy: RetryPolicy;
  /** True for failures worth another attempt (throttling, 5xx, timeouts, refused connections). */
  isTransient: (error: unknown) => boolean;
}

/**
 * Every provider call, retried by the one loop (core/retry.ts) with the providers' policy:
 * bounded attempts, a timeout per attempt (the signal aborts the request), exponential backoff
 * with full jitter. The last error is rethrown untouched so the provider edge can translate it by
 * name. Inside a run with a deadline (Deadline.run) the deadline also aborts the attempt in
 * flight, and no attempt starts after it.
 */
export function callWithRetry<T>(operation: (signal: AbortSignal) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, isTransient } = options;
  return withRetry(operation, {
    attempts: policy.attempts,
    timeoutMs: policy.timeoutMs,
    backoffMs: (attempt) => Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)),
    isTransient,
    deadline: Deadline.current(),
  });
}
