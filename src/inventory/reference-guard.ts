import { describeStoreKey, StoreKeyIndex, storeKeyOf, type StoreKey } from '../providers/store-key.js';
import type { StoreCatalog } from '../providers/store-kind.js';
import type { SecretRecord } from './secret-merge.js';
import type { Lifecycle, ProviderKind } from './secret.js';

/** What the guard needs of a stored secret. */
export interface StoredReference {
  name: string;
  provider: ProviderKind;
  providerRef: string | null;
  lifecycle: Lifecycle;
}

/**
 * One store secret, one inventory entry: two entries for the same AWS or Vault secret mean
 * double reminders and two schedules for one value. References are compared in canonical form
 * (see StoreKey), so `us-east-1:prod/app/db` and that secret's ARN are found to be the same.
 * Retired entries track nothing any more and hold no reference.
 */
export class ReferenceGuard {
  private readonly index: StoreKeyIndex<string>;
  private readonly keys = new Map<string, StoreKey>();

  constructor(
    stored: Iterable<StoredReference>,
    private readonly stores: StoreCatalog,
  ) {
    this.index = new StoreKeyIndex(stores);
    for (const secret of stored) this.hold(secret.name, this.keyOf(secret));
  }

  /**
   * The problem with `record`'s reference (another entry tracks that store secret), or null, in
   * which case the record now holds its reference (and gives up the one it had).
   */
  claim(record: SecretRecord): string | null {
    const key = this.keyOf(record);
    if (key) {
      const holder = this.index.find(key).find((name) => name !== record.name);
      if (holder) {
        return `\`${record.providerRef}\` is ${describeStoreKey(this.stores, key)}, which \`${holder}\` already tracks; one store secret has one inventory entry, so change \`${holder}\` instead (or retire it first)`;
      }
    }
    this.hold(record.name, key);
    return null;
  }

  private keyOf(secret: StoredReference): StoreKey | null {
    return secret.lifecycle === 'retired' ? null : storeKeyOf(this.stores, secret.provider, secret.providerRef);
  }

  private hold(name: string, key: StoreKey | null): void {
    const previous = this.keys.get(name);
    if (previous) {
      this.index.remove(previous, name);
      this.keys.delete(name);
    }
    if (key) {
      this.index.add(key, name);
      this.keys.set(name, key);
    }
  }
}

/** Whether a change gives a secret a reference or gives one up: a new secret with one, or a new provider, reference or lifecycle. */
export function changesReference(before: StoredReference | null, after: StoredReference): boolean {
  if (!before) return after.provider !== 'manual' && after.providerRef !== null;
  return before.provider !== after.provider || before.providerRef !== after.providerRef || before.lifecycle !== after.lifecycle;
}
