import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { FakeVaultServer } from '../fakes/vault-kv2-server.js';

/**
 * One fake Vault for the enclosing `describe`: started before its tests, emptied before each
 * one (before none in a scenario: one story cut into sequential `it`s), stopped after them,
 * with a token made at run time.
 */
export function useFakeVault(
  mounts: Record<string, 1 | 2> = { secret: 2 },
  options: { scenario?: boolean } = {},
): { fake: FakeVaultServer; token: string } {
  const token = `test-${randomBytes(8).toString('hex')}`;
  const fake = new FakeVaultServer({ token, mounts });
  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => fake.stop());
  if (!options.scenario) beforeEach(() => fake.reset());
  return { fake, token };
}
