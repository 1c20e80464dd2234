import type { Logger } from 'pino';
import type { CoreEnv } from '../config/env.js';
import type { Clock } from '../core/clock.js';
import { HmacKeyring } from '../core/hmac-keyring.js';
import type { Services } from '../services.js';
import type { RetryPolicy } from './call-with-retry.js';
import { ProviderDiscoverService } from './discover-service.js';
import { createFingerprinter, type Fingerprinter } from './fingerprint.js';
import { ProviderOperationsService } from './provider-operations-service.js';
import { createProviderRegistry, type ProviderRegistry } from './provider-registry.js';
import { BUILT_IN_STORES, storeCatalogFor } from './store-catalog.js';
import type { StoreCatalog, StoreEnvName } from './store-kind.js';
import { ProviderSyncService } from './sync-service.js';

export interface ProviderServices {
  registry: ProviderRegistry;
  operations: ProviderOperationsService;
  sync: ProviderSyncService;
  discover: ProviderDiscoverService;
  /** Releases the providers' connections. */
  close(): void;
}

type ProviderEnv = Pick<CoreEnv, StoreEnvName | 'ROTOR_FINGERPRINT_KEY'>;

/**
 * The stores of the catalog, connected from the environment: each kind's `connect` decides (AWS
 * always, its region, credentials and `AWS_ENDPOINT_URL` coming from the SDK's chain when a call
 * is made; Vault when VAULT_ADDR and VAULT_TOKEN are set; Google always, its access token
 * fetched when a call is made), all fingerprinting with ROTOR_FINGERPRINT_KEY (plain SHA-256
 * without it). `stores`: the policy's catalog (`storeCatalogFor`).
 */
export function createProviderRegistryFromEnv(
  env: ProviderEnv,
  retry?: RetryPolicy,
  stores: StoreCatalog = BUILT_IN_STORES,
  clock?: Clock,
): { registry: ProviderRegistry; fingerprinter: Fingerprinter; close(): void } {
  const fingerprinter = createFingerprinter(HmacKeyring.fromEnv(env.ROTOR_FINGERPRINT_KEY));
  const connections = Object.fromEntries(
    stores.kinds
      .filter((kind) => kind.setup !== null)
      .map((kind) => [
        kind.kind,
        kind.connect({ env, fingerprinter, ...(retry ? { retry } : {}), ...(clock ? { clock } : {}) }) ?? undefined,
      ]),
  );
  const registry = createProviderRegistry(connections, stores);
  return { registry, fingerprinter, close: () => registry.close() };
}

/** `fingerprinter`: the providers' own, so sync can tell a stored fingerprint of an older scheme. */
export function createProviderServices(
  services: Services,
  registry: ProviderRegistry,
  logger?: Logger,
  close: () => void = () => undefined,
  fingerprinter: Fingerprinter = createFingerprinter(null),
): ProviderServices {
  const common = { inventoryService: services.inventoryService, registry, clock: services.clock, ...(logger ? { logger } : {}) };
  return {
    registry,
    operations: new ProviderOperationsService({ ...common, audit: services.audit, policy: services.policy }),
    sync: new ProviderSyncService({ ...common, inventory: services.inventory, fingerprinter }),
    discover: new ProviderDiscoverService({ services, registry, ...(logger ? { logger } : {}) }),
    close,
  };
}

/** Provider services for one CLI command or one bot process, from the environment. */
export function createProviderServicesFromEnv(services: Services, env: ProviderEnv, logger?: Logger): ProviderServices {
  const { registry, fingerprinter, close } = createProviderRegistryFromEnv(
    env,
    undefined,
    storeCatalogFor({ googleVersionAlias: services.policy.googleSecretManager.versionAlias }),
    services.clock,
  );
  return createProviderServices(services, registry, logger, close, fingerprinter);
}
