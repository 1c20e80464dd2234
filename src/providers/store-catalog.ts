import { awsSecretsManagerStore } from './aws/aws-store.js';
import { awsKmsStore } from './aws-kms/kms-store.js';
import { manualStore } from './manual/manual-store.js';
import { createStoreCatalog, type StoreCatalog } from './store-kind.js';
import { vaultKv2Store } from './vault/vault-store.js';

/**
 * The stores Rotor is built with, one line each, in the order people are offered them. The
 * composition root hands this catalog to the services; nothing in the domain imports it.
 */
export const BUILT_IN_STORES: StoreCatalog = createStoreCatalog([awsSecretsManagerStore, vaultKv2Store, awsKmsStore, manualStore]);
