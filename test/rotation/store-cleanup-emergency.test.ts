import { describe, expect, it } from 'vitest';
import { RotorError } from '../../src/core/errors.js';
import type { ProviderOperationsService } from '../../src/providers/provider-operations-service.js';
import { vaultKv2Store } from '../../src/providers/vault/vault-store.js';
import type { RotationRecord } from '../../src/rotation/rotation.js';
import type { RotationServiceDeps } from '../../src/rotation/rotation-deps.js';
import { CleanupFailedError } from '../../src/rotation/rotation-errors.js';
import type { RotationQueries } from '../../src/rotation/rotation-queries.js';
import { StoreCleanup } from '../../src/rotation/store-cleanup.js';
import { operator } from '../support/actors.js';

/** A Vault rotation whose create step wrote before its answer was lost: the write intent is all Rotor recorded. */
function lostWrite(kind: 'emergency' | 'scheduled'): RotationRecord {
  return {
    rotation: {
      id: 1,
      kind,
      secretName: 'staging/cache/redis',
      provider: 'vault',
      providerRef: 'secret/staging/cache/redis',
      previousVersionId: '1',
      newVersionId: null,
      promotedAt: null,
    },
    steps: [{ id: 'create', action: 'create_version', result: { writeIntent: { versionId: '2', fingerprint: 'hmac-sha256:00' } } }],
  } as unknown as RotationRecord;
}

describe('abandoning a Vault rotation whose write was lost, with Vault out of reach', () => {
  // Vault does not answer: whether the write landed cannot be asked.
  const operations = {
    currentIs: async () => {
      throw new RotorError('provider_unavailable', 'Vault did not answer (503: Vault is sealed).');
    },
  } as unknown as ProviderOperationsService;
  const cleanup = new StoreCleanup(
    { operations } as unknown as RotationServiceDeps,
    {
      storeOf: () => vaultKv2Store,
    } as unknown as RotationQueries,
  );

  it('an emergency undoes nothing either way: it is abandoned plainly, the store out of reach noted, no by-hand choice', async () => {
    const done = await cleanup.cleanUpProvider(operator(), lostWrite('emergency'), false);
    expect(done).toMatchObject({ action: 'none' });
    expect(done.note).toMatch(/^Vault could not be asked whether Rotor's write landed \(.*\); if it did, it stays current/);
  });

  it('a scheduled rotation still offers cleaning up by hand: its write, if it landed, is to be undone', async () => {
    const refused = await cleanup.cleanUpProvider(operator(), lostWrite('scheduled'), false).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CleanupFailedError);
    expect((refused as CleanupFailedError).next).toMatchObject({ kind: 'action', action: 'abandon_by_hand' });
  });
});
