import type { Secret } from '../inventory/secret.js';
import { awsRegionFlag, parseAwsSecretRef } from '../providers/aws/aws-secret-ref.js';
import { parseVaultSecretRef } from '../providers/vault/vault-secret-ref.js';
import { TYPE_PROFILES } from './secret-type-profiles.js';

/**
 * The command that writes an issuer's value as the new version, exactly as the checklist's
 * create step words it: the same file name (the type's, from mint to `shred -u`), the same
 * secret id and region. A manual secret has none.
 */
export function writeNewVersionCommand(secret: Pick<Secret, 'name' | 'type' | 'provider' | 'providerRef'>): string | null {
  const file = TYPE_PROFILES[secret.type].file;
  if (secret.provider === 'aws' && secret.providerRef) {
    const ref = parseAwsSecretRef(secret.name, secret.providerRef);
    return `aws secretsmanager put-secret-value --secret-id ${ref.secretId}${awsRegionFlag(ref)} --version-stages AWSPENDING --secret-string file://${file}`;
  }
  if (secret.provider === 'vault' && secret.providerRef) {
    const ref = parseVaultSecretRef(secret.name, secret.providerRef);
    return `vault kv put -mount=${ref.mount} ${ref.path} ${ref.field}=@${file}`;
  }
  return null;
}
