import { RotorError } from '../core/errors.js';
import { createFingerprinter } from './fingerprint.js';
import type { ProviderTarget, SecretProvider } from './secret-provider.js';
import { BUILT_IN_STORES } from './store-catalog.js';
import type { StoreCatalog, StoreKind } from './store-kind.js';

/**
 * The stores Rotor can reach: each kind of the catalog with its connection, when one is
 * configured. A kind left unconfigured answers with how to configure it.
 */
export interface ProviderRegistry {
  /** What Rotor knows of every kind of store, connected or not. */
  readonly stores: StoreCatalog;
  providerFor(kind: string, secretName: string): SecretProvider;
  /** The store, its connection and the target of a store-backed secret, or an error naming what is missing. */
  resolve(secret: { name: string; provider: string; providerRef: string | null }): {
    store: StoreKind;
    provider: SecretProvider;
    target: ProviderTarget;
  };
  /** Releases the connections. */
  close(): void;
}

/**
 * A registry over `connections` (by kind) and the kinds of `stores` (the built-in ones unless a
 * test brings its own). A kind that needs no setup (the manual store) is connected on first use.
 */
export function createProviderRegistry(
  connections: Readonly<Record<string, SecretProvider | undefined>>,
  stores: StoreCatalog = BUILT_IN_STORES,
): ProviderRegistry {
  const connected = new Map<string, SecretProvider>(
    Object.entries(connections).filter((entry): entry is [string, SecretProvider] => entry[1] !== undefined),
  );
  const providerFor = (kind: string, secretName: string): SecretProvider => {
    const store = stores.of(kind);
    let provider = connected.get(kind);
    if (!provider && store.setup === null) {
      provider = store.connect({ env: {}, fingerprinter: createFingerprinter(null) }) ?? undefined;
      if (provider) connected.set(kind, provider);
    }
    if (!provider) throw new RotorError('config', `${secretName} needs ${store.label}, which is not configured: ${store.setup}.`);
    return provider;
  };
  return {
    stores,
    providerFor,
    resolve(secret) {
      const provider = providerFor(secret.provider, secret.name);
      const store = stores.of(secret.provider);
      if (!store.capabilities.byHand && !secret.providerRef) {
        throw new RotorError('validation', `${secret.name} has no provider reference`, {
          next: {
            kind: 'run_command',
            command: 'secrets edit',
            args: [secret.name],
            lead: 'set one with',
            purpose: `(${store.label}: ${store.references.what})`,
          },
        });
      }
      return { store, provider, target: { secretName: secret.name, providerRef: secret.providerRef ?? '' } };
    },
    close() {
      for (const provider of connected.values()) provider.destroy?.();
    },
  };
}
