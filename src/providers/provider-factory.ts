import type { Logger } from 'pino';
import type { CoreEnv } from '../config/env.js';
import type { Services } from '../services.js';
import { AwsSecretsManagerProvider } from './aws/aws-secrets-manager-provider.js';
import type { RetryPolicy } from './call-with-retry.js';
import { ProviderDiscoverService } from './discover-service.js';
import { ProviderOperationsService } from './provider-operations-service.js';
import { createProviderRegistry, type ProviderRegistry } from './provider-registry.js';
import { ProviderSyncService } from './sync-service.js';
import { VaultKv2Provider } from './vault/vault-kv2-provider.js';

export interface ProviderServices {
  registry: ProviderRegistry;
  operations: ProviderOperationsService;
  sync: ProviderSyncService;
  discover: ProviderDiscoverService;
  /** Releases the providers' connections. */
  close(): void;
}

/**
 * Providers from the environment: AWS always (region, credentials and `AWS_ENDPOINT_URL` come
 * from the SDK's chain when a call is made), Vault when VAULT_ADDR and VAULT_TOKEN are set.
 */
export function createProviderRegistryFromEnv(env: Pick<CoreEnv, 'VAULT_ADDR' | 'VAULT_TOKEN' | 'VAULT_NAMESPACE'>, retry?: RetryPolicy): { registry: ProviderRegistry; close(): void } {
  const aws = new AwsSecretsManagerProvider(retry ? { retry } : {});
  const vault =
    env.VAULT_ADDR && env.VAULT_TOKEN
      ? new VaultKv2Provider({ endpoint: env.VAULT_ADDR, token: env.VAULT_TOKEN, ...(env.VAULT_NAMESPACE ? { namespace: env.VAULT_NAMESPACE } : {}), ...(retry ? { retry } : {}) })
      : undefined;
  return { registry: createProviderRegistry({ aws, ...(vault ? { vault } : {}) }), close: () => aws.destroy() };
}

export function createProviderServices(services: Services, registry: ProviderRegistry, logger?: Logger, close: () => void = () => undefined): ProviderServices {
  const common = { inventoryService: services.inventoryService, registry, clock: services.clock, ...(logger ? { logger } : {}) };
  return {
    registry,
    operations: new ProviderOperationsService({ ...common, audit: services.audit, policy: services.policy }),
    sync: new ProviderSyncService({ ...common, inventory: services.inventory }),
    discover: new ProviderDiscoverService({ services, registry, ...(logger ? { logger } : {}) }),
    close,
  };
}

/** Provider services for one CLI command or one bot process, from the environment. */
export function createProviderServicesFromEnv(services: Services, env: Pick<CoreEnv, 'VAULT_ADDR' | 'VAULT_TOKEN' | 'VAULT_NAMESPACE'>, logger?: Logger): ProviderServices {
  const { registry, close } = createProviderRegistryFromEnv(env);
  return createProviderServices(services, registry, logger, close);
}
