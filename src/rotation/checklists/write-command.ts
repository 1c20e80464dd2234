import type { Secret } from '../../inventory/secret.js';
import type { StoreKind } from '../../providers/store-kind.js';
import { TYPE_PROFILES } from './secret-type-profiles.js';

/**
 * The command that writes an issuer's value as the new version, exactly as the checklist's
 * create step words it: the same file name (the type's, from mint to `shred -u`), the store's
 * own command for the reference. A secret without one (a manual secret) has none.
 */
export function writeNewVersionCommand(secret: Pick<Secret, 'name' | 'type' | 'providerRef'>, store: StoreKind): string | null {
  return secret.providerRef ? store.commands.writeNewVersion(secret.name, secret.providerRef, TYPE_PROFILES[secret.type].file) : null;
}
