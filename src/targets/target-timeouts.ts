/**
 * Every call at a target is bounded: a target that accepts the connection and then says
 * nothing must not hold a rotation step forever.
 */
export interface TargetTimeouts {
  /** Connecting, TLS and logging in. */
  connectMs: number;
  /** One statement or command; PostgreSQL also gets it as statement_timeout and lock_timeout, so it cancels the statement itself. */
  statementMs: number;
}

export const DEFAULT_TARGET_TIMEOUTS: Readonly<TargetTimeouts> = Object.freeze({ connectMs: 10_000, statementMs: 15_000 });
