import type { Secret } from '../../../inventory/secret.js';
import { awsRegionFlag, parseAwsSecretRef } from '../../../providers/aws/aws-secret-ref.js';
import { parseVaultSecretRef } from '../../../providers/vault/vault-secret-ref.js';

/**
 * How a consumer fetches the current version, per provider: the exact CLI line for AWS and
 * Vault (the value never appears; the line fetches it), the secret's own instructions for a
 * manual one. Plain text: the caller puts it in a code block.
 */
export function retrievalCommand(secret: Pick<Secret, 'name' | 'provider' | 'providerRef' | 'retrievalInstructions'>): { command: string | null; instructions: string | null } {
  if (secret.provider === 'aws' && secret.providerRef) {
    const ref = parseAwsSecretRef(secret.name, secret.providerRef);
    // The region exactly as the checklist's commands carry it: an ARN's too, or a CLI configured for another region looks there.
    return {
      command: `aws secretsmanager get-secret-value --secret-id ${ref.secretId}${awsRegionFlag(ref)} --version-stage AWSCURRENT --query SecretString --output text`,
      instructions: secret.retrievalInstructions,
    };
  }
  if (secret.provider === 'vault' && secret.providerRef) {
    const ref = parseVaultSecretRef(secret.name, secret.providerRef);
    return { command: `vault kv get -mount=${ref.mount} -field=${ref.field} ${ref.path}`, instructions: secret.retrievalInstructions };
  }
  return { command: null, instructions: secret.retrievalInstructions };
}
