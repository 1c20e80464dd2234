import { describe, expect, it } from 'vitest';
import { DEFAULT_TARGET_TIMEOUTS, lockTimeoutMs } from '../../src/targets/target-timeouts.js';

/** A PostgreSQL lock_timeout at or above statement_timeout never fires: the step would give up without saying it waited for a lock. */
describe('the lock wait at a PostgreSQL target', () => {
  it('by default is 12 s, below the 15 s statement timeout, so a statement stuck behind a lock says so', () => {
    expect(DEFAULT_TARGET_TIMEOUTS.statementMs).toBe(15_000);
    expect(lockTimeoutMs(DEFAULT_TARGET_TIMEOUTS)).toBe(12_000);
    expect(lockTimeoutMs(DEFAULT_TARGET_TIMEOUTS)).toBeLessThan(DEFAULT_TARGET_TIMEOUTS.statementMs);
  });

  it('stays below a shortened statement timeout, as the lock test of target-faults uses (4 s: 3.2 s)', () => {
    const short = { ...DEFAULT_TARGET_TIMEOUTS, statementMs: 4_000 };
    expect(lockTimeoutMs(short)).toBe(3_200);
    expect(lockTimeoutMs(short)).toBeLessThan(short.statementMs);
  });
});
