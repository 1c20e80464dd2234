import { createHash } from 'node:crypto';

/**
 * SHA-256 hex of a secret value. Callers pass the value straight from the store or the
 * generator and let it go out of scope; only the fingerprint travels further.
 */
export function fingerprintOf(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('hex');
}
