import { RotorError } from '../core/errors.js';
import type { ProviderKind } from '../inventory/secret.js';
import { ManualProvider } from './manual/manual-provider.js';
import type { ProviderTarget, SecretProvider } from './secret-provider.js';

/** The provider for each kind; a kind left unconfigured answers with how to configure it. */
export interface ProviderRegistry {
  providerFor(kind: ProviderKind, secretName: string): SecretProvider;
  /** The provider and the target of a provider-backed secret, or an error naming what is missing. */
  resolve(secret: { name: string; provider: ProviderKind; providerRef: string | null }): { provider: SecretProvider; target: ProviderTarget };
}

const SETUP: Record<Exclude<ProviderKind, 'manual'>, string> = {
  aws: 'set AWS_REGION and AWS credentials (the SDK chain) for Rotor',
  vault: 'set VAULT_ADDR and VAULT_TOKEN for Rotor',
};

export function createProviderRegistry(providers: { aws?: SecretProvider; vault?: SecretProvider }): ProviderRegistry {
  const manual = new ManualProvider();
  const providerFor = (kind: ProviderKind, secretName: string): SecretProvider => {
    if (kind === 'manual') return manual;
    const provider = providers[kind];
    if (!provider) throw new RotorError('config', `${secretName} needs ${kind === 'aws' ? 'AWS Secrets Manager' : 'Vault'}, which is not configured: ${SETUP[kind]}.`);
    return provider;
  };
  return {
    providerFor,
    resolve(secret) {
      const provider = providerFor(secret.provider, secret.name);
      if (secret.provider !== 'manual' && !secret.providerRef) {
        throw new RotorError('validation', `${secret.name} has no provider reference; set one with \`/secrets edit ${secret.name}\` (AWS: ARN or name; Vault: mount/path).`);
      }
      return { provider, target: { secretName: secret.name, providerRef: secret.providerRef ?? '' } };
    },
  };
}
