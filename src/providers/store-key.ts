import { ValidationError } from '../core/errors.js';
import type { StoreCatalog, StoreSecretKey } from './store-kind.js';

/**
 * The store secret a provider reference names, in canonical form, so that the spellings of one
 * secret compare equal (AWS `arn:…:secret:prod/app/db-AbCdEf`, `us-east-1:prod/app/db` and
 * `prod/app/db`; Vault `secret/prod/app/db` and `secret:prod/app/db#password`): each store's
 * `references.keyOf` decides.
 */
export type StoreKey = StoreSecretKey;

/** The store secret behind a reference; null for a by-hand or unknown store, or a reference that does not parse. */
export function storeKeyOf(stores: StoreCatalog, provider: string, reference: string | null | undefined): StoreKey | null {
  if (!reference || !stores.has(provider)) return null;
  try {
    return stores.of(provider).references.keyOf(reference);
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}

/** Whether two keys name the same store secret (the keys' store decides how scopes compare). */
export function sameStoreSecret(stores: StoreCatalog, a: StoreKey, b: StoreKey): boolean {
  return a.provider === b.provider && stores.of(a.provider).references.sameSecret(a, b);
}

/** How a message names the store secret. */
export function describeStoreKey(stores: StoreCatalog, key: StoreKey): string {
  return stores.of(key.provider).references.describeKey(key);
}

/** Entries by store secret, for finding which one already tracks a reference. */
export class StoreKeyIndex<T> {
  private readonly byName = new Map<string, { key: StoreKey; value: T }[]>();

  constructor(private readonly stores: StoreCatalog) {}

  add(key: StoreKey, value: T): void {
    const slot = `${key.provider}\u0000${key.name}`;
    const list = this.byName.get(slot);
    if (list) list.push({ key, value });
    else this.byName.set(slot, [{ key, value }]);
  }

  /** Every value whose key names the same store secret as `key`. */
  find(key: StoreKey): T[] {
    return (this.byName.get(`${key.provider}\u0000${key.name}`) ?? [])
      .filter((entry) => sameStoreSecret(this.stores, entry.key, key))
      .map((entry) => entry.value);
  }

  remove(key: StoreKey, value: T): void {
    const list = this.byName.get(`${key.provider}\u0000${key.name}`);
    if (!list) return;
    const index = list.findIndex((entry) => entry.value === value);
    if (index >= 0) list.splice(index, 1);
  }
}
