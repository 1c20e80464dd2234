import { describe, expect, it } from 'vitest';
import { AttemptTimeoutError, type RetryPlan, type RetryStop, withRetry } from '../../src/core/retry.js';

/** A failure that asks to be tried again after `askMs` at least, as a 429's Retry-After does. */
class Busy extends Error {
  constructor(readonly askMs = 0) {
    super('busy');
  }
}

const plan = (overrides: Partial<RetryPlan> = {}): RetryPlan => ({
  attempts: 3,
  timeoutMs: 1_000,
  backoffMs: () => 1,
  isTransient: (error) => error instanceof Busy || error instanceof AttemptTimeoutError,
  waitAskedMs: (error) => (error instanceof Busy ? error.askMs : 0),
  ...overrides,
});

/** Runs `failures` in turn (then succeeds), counting the calls; resolves with the result or the error thrown. */
async function run(failures: Error[], overrides: Partial<RetryPlan> = {}) {
  let calls = 0;
  const outcome = await withRetry(async () => {
    const failure = failures[calls];
    calls += 1;
    if (failure) throw failure;
    return 'done';
  }, plan(overrides)).catch((error: unknown) => error);
  return { outcome, calls };
}

/** The stop `giveUp` was handed, thrown back as is. */
const stopOf = (stop: RetryStop) => ({ stop });

describe('withRetry, the one retry loop', () => {
  it('tries again after transient failures, within the budget of attempts, and returns the first success', async () => {
    expect(await run([new Busy(), new Busy()])).toEqual({ outcome: 'done', calls: 3 });
  });

  it('spends no more than its attempts: the last error is thrown untouched, or as giveUp says it', async () => {
    const last = new Busy();
    expect(await run([new Busy(), last], { attempts: 2 })).toEqual({ outcome: last, calls: 2 });
    const said = await run([new Busy(), new Busy(), new Busy()], { giveUp: stopOf });
    expect(said.outcome).toEqual({ stop: { why: 'attempts_spent', error: expect.any(Busy), attempts: 3 } });
  });

  it('a failure that is not transient is final at once', async () => {
    const denied = new Error('denied');
    expect(await run([denied], { giveUp: stopOf })).toEqual({ outcome: { stop: { why: 'final', error: denied, attempts: 1 } }, calls: 1 });
  });

  it("a failure's asked wait is a floor over the backoff, and a pause over the cap is not waited for", async () => {
    const asked = await run([new Busy(60_000)], { longestWaitMs: 5_000, giveUp: stopOf });
    expect(asked).toEqual({ outcome: { stop: { why: 'wait_too_long', error: expect.any(Busy), attempts: 1, waitMs: 60_000 } }, calls: 1 });
    const backoff = await run([new Busy(1)], { backoffMs: () => 9_000, longestWaitMs: 5_000, giveUp: stopOf });
    expect(backoff.outcome).toMatchObject({ stop: { why: 'wait_too_long', waitMs: 9_000 } });
    expect(await run([new Busy(2)], { longestWaitMs: 5_000 })).toEqual({ outcome: 'done', calls: 2 });
  });

  it('an attempt that outlives its timeout is abandoned, its signal aborted, and tried again', async () => {
    const signals: AbortSignal[] = [];
    const outcome = await withRetry(
      (signal) => {
        signals.push(signal);
        return signals.length === 1 ? new Promise<never>(() => undefined) : Promise.resolve('done');
      },
      plan({ timeoutMs: 50 }),
    );
    expect(outcome).toBe('done');
    expect(signals.map((signal) => signal.aborted)).toEqual([true, false]);
    expect(signals[0]?.reason).toBeInstanceOf(AttemptTimeoutError);
  });
});
