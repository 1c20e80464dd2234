/**
 * How a KMS key's place is named, kept apart from the KMS client so the store's knowledge
 * (kms-store.ts) is loaded without the SDK.
 */

/** The label a key waiting under `alias/rotor-pending/…` carries in a description. */
export const KMS_PENDING_LABEL = 'rotor-pending';
/** The label of the key the alias points at. */
export const KMS_ALIAS_LABEL = 'alias';

/** Where a key waits between its creation and the move of the alias: `alias/rotor-pending/<name>`. */
export function pendingAliasOf(aliasName: string): string {
  return `alias/rotor-pending/${aliasName.slice('alias/'.length)}`;
}
