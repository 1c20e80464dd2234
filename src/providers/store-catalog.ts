import { awsSecretsManagerStore } from './aws/aws-store.js';
import { googleSecretManagerStore } from './google-secret-manager/google-store.js';
import { awsKmsStore } from './aws-kms/kms-store.js';
import { manualStore } from './manual/manual-store.js';
import { createStoreCatalog, type StoreCatalog } from './store-kind.js';
import { vaultKv2Store } from './vault/vault-store.js';

/** What the policy decides of the stores: the version alias Google consumers read (null: `latest`). */
export interface StoreOptions {
  googleVersionAlias: string | null;
}

/**
 * The stores Rotor is built with, one line each, in the order people are offered them. The
 * composition root hands this catalog to the services; nothing in the domain imports it.
 */
export function storeCatalogFor(options: StoreOptions): StoreCatalog {
  return createStoreCatalog([
    awsSecretsManagerStore,
    vaultKv2Store,
    awsKmsStore,
    googleSecretManagerStore(options.googleVersionAlias),
    manualStore,
  ]);
}

/** The catalog of a policy that names no Google version alias. */
export const BUILT_IN_STORES: StoreCatalog = storeCatalogFor({ googleVersionAlias: null });
