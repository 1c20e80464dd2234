import { ValidationError } from '../core/errors.js';
import type { ProviderKind } from '../inventory/secret.js';
import { parseAwsSecretRef } from './aws/aws-secret-ref.js';
import { parseVaultSecretRef } from './vault/vault-secret-ref.js';

/**
 * The store secret a provider reference names, in canonical form, so that the spellings of one
 * secret compare equal: AWS `arn:…:secret:prod/app/db-AbCdEf`, `us-east-1:prod/app/db` and
 * `prod/app/db`; Vault `secret/prod/app/db`, `secret:prod/app/db` and `secret/prod/app/db#password`
 * (a Rotor rotation rewrites the whole Vault secret, so two fields of it are one store secret).
 */
export interface StoreKey {
  provider: Exclude<ProviderKind, 'manual'>;
  /** AWS: the region, or null when the reference leaves it to the SDK's default. Vault: the mount. */
  scope: string | null;
  /** AWS: the secret's name (an ARN's without the 6-character suffix AWS adds). Vault: the path. */
  name: string;
}

/** `-AbCdEf`: what Secrets Manager appends to a secret's name in its ARN. */
const ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;

/** The store secret behind a reference; null for a manual secret or a reference that does not parse. */
export function storeKeyOf(provider: ProviderKind, reference: string | null | undefined): StoreKey | null {
  if (provider === 'manual' || !reference) return null;
  try {
    if (provider === 'vault') {
      const ref = parseVaultSecretRef('this secret', reference);
      return { provider, scope: ref.mount, name: ref.path };
    }
    const ref = parseAwsSecretRef('this secret', reference);
    const arnName = /^arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:(.+)$/.exec(ref.secretId)?.[1];
    return { provider, scope: ref.region, name: arnName ? arnName.replace(ARN_SUFFIX, '') : ref.secretId };
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}

/**
 * Whether two keys name the same store secret. Offline, an AWS reference without a region names
 * the secret of that name in whichever region the SDK is configured for, so it matches that name
 * in any region; two different regions never match.
 */
export function sameStoreSecret(a: StoreKey, b: StoreKey): boolean {
  if (a.provider !== b.provider || a.name !== b.name) return false;
  if (a.provider === 'aws' && (a.scope === null || b.scope === null)) return true;
  return a.scope === b.scope;
}

/** How a message names the store secret. */
export function describeStoreKey(key: StoreKey): string {
  if (key.provider === 'vault') return `the Vault secret ${key.scope}/${key.name}`;
  return `the AWS secret ${key.name}${key.scope ? ` in ${key.scope}` : ''}`;
}

/** Entries by store secret, for finding which one already tracks a reference. */
export class StoreKeyIndex<T> {
  private readonly byName = new Map<string, { key: StoreKey; value: T }[]>();

  add(key: StoreKey, value: T): void {
    const slot = `${key.provider}\u0000${key.name}`;
    const list = this.byName.get(slot);
    if (list) list.push({ key, value });
    else this.byName.set(slot, [{ key, value }]);
  }

  /** Every value whose key names the same store secret as `key`. */
  find(key: StoreKey): T[] {
    return (this.byName.get(`${key.provider}\u0000${key.name}`) ?? []).filter((entry) => sameStoreSecret(entry.key, key)).map((entry) => entry.value);
  }

  remove(key: StoreKey, value: T): void {
    const list = this.byName.get(`${key.provider}\u0000${key.name}`);
    if (!list) return;
    const index = list.findIndex((entry) => entry.value === value);
    if (index >= 0) list.splice(index, 1);
  }
}
