/**
 * Every call at a target is bounded: a target that accepts the connection and then says
 * nothing must not hold a rotation step forever.
 */
export interface TargetTimeouts {
  /** Connecting, TLS and logging in. */
  connectMs: number;
  /** One statement or command; PostgreSQL gets it as statement_timeout, so the server cancels the statement itself. */
  statementMs: number;
}

export const DEFAULT_TARGET_TIMEOUTS: Readonly<TargetTimeouts> = Object.freeze({ connectMs: 10_000, statementMs: 15_000 });

/**
 * How long a PostgreSQL statement waits behind another session's lock (lock_timeout): a little
 * under the statement's own timeout, so such a statement says why it gave up (a lock_timeout at
 * or above statement_timeout never fires).
 */
export function lockTimeoutMs(timeouts: TargetTimeouts): number {
  return Math.max(1, Math.floor(timeouts.statementMs * 0.8));
}
