import { describe, expect, it } from 'vitest';
import { Deadline, DeadlinePassed } from '../../src/core/deadline.js';
import { AttemptTimeoutError, callWithRetry, type RetryPolicy } from '../../src/providers/call-with-retry.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';

const policy: RetryPolicy = { attempts: 3, timeoutMs: 100, baseDelayMs: 1, maxDelayMs: 2 };
const transient = (error: unknown) => error instanceof AttemptTimeoutError || (error as Error).message === 'busy';

describe('callWithRetry', () => {
  it("inside a run's deadline, aborts the attempt in flight when it passes and starts no other", async () => {
    let calls = 0;
    let aborted: unknown;
    const hanging = (signal: AbortSignal) => {
      calls += 1;
      return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject((aborted = signal.reason))));
    };
    const deadline = Deadline.after(0.2);
    const outcome = deadline.run(() => callWithRetry(hanging, { policy: { ...policy, timeoutMs: 60_000 }, isTransient: () => true }));
    await expect(outcome).rejects.toBeInstanceOf(DeadlinePassed);
    expect(aborted).toBeInstanceOf(DeadlinePassed);
    expect(calls).toBe(1);
    await expect(deadline.run(() => callWithRetry(hanging, { policy, isTransient: () => true }))).rejects.toBeInstanceOf(DeadlinePassed);
    expect(calls).toBe(1);
  });

  it('retries transient failures and returns the first success', async () => {
    let calls = 0;
    const result = await callWithRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('busy');
        return 'done';
      },
      { policy, isTransient: transient },
    );
    expect({ result, calls }).toEqual({ result: 'done', calls: 3 });
  });

  it('stops after the configured attempts and rethrows the last error untouched', async () => {
    let calls = 0;
    const failure = callWithRetry(
      async () => {
        calls += 1;
        throw new Error('busy');
      },
      { policy, isTransient: transient },
    );
    await expect(failure).rejects.toThrow('busy');
    expect(calls).toBe(3);
  });

  it('does not retry a permanent failure', async () => {
    let calls = 0;
    await expect(
      callWithRetry(
        async () => {
          calls += 1;
          throw new Error('denied');
        },
        { policy, isTransient: transient },
      ),
    ).rejects.toThrow('denied');
    expect(calls).toBe(1);
  });

  it('abandons an attempt that outlives the timeout and aborts its signal', async () => {
    const signals: AbortSignal[] = [];
    const never = callWithRetry(
      (signal) => {
        signals.push(signal);
        return new Promise<never>(() => undefined);
      },
      { policy: { ...policy, attempts: 2 }, isTransient: transient },
    );
    await expect(never).rejects.toBeInstanceOf(AttemptTimeoutError);
    expect(signals.map((signal) => signal.aborted)).toEqual([true, true]);
  });
});

describe('provider registry', () => {
  it('a manual secret performs nothing and says the step is done by hand', async () => {
    const registry = createProviderRegistry({});
    const { provider, target } = registry.resolve({ name: 'prod/stripe/api_key', provider: 'manual', providerRef: null });
    await expect(provider.validateReference(target)).resolves.toBeUndefined();
    await expect(provider.createVersion(target, { expectedCurrentVersionId: null })).rejects.toThrow(
      /prod\/stripe\/api_key is rotated by hand: create the new value at the issuer yourself/,
    );
    await expect(provider.listForDiscovery({})).resolves.toEqual([]);
  });

  it('an unconfigured provider and a missing reference say what to set', () => {
    const registry = createProviderRegistry({});
    expect(() => registry.resolve({ name: 'prod/app/db', provider: 'vault', providerRef: 'secret/prod/app/db' })).toThrow(
      /not configured: set VAULT_ADDR and VAULT_TOKEN/,
    );
    const withVault = createProviderRegistry({ vault: registry.providerFor('manual', 'x') });
    expect(() => withVault.resolve({ name: 'prod/app/db', provider: 'vault', providerRef: null })).toThrow(
      /prod\/app\/db has no provider reference/,
    );
  });
});
