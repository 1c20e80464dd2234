import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { TargetError } from '../target-error.js';

/** PostgreSQL's own default (scram_iterations), what `\password` in psql uses. */
export const SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

export interface ScramOptions {
  /** 16 random bytes when not given; tests give the server's salt to compare with its verifier. */
  salt?: Buffer;
  iterations?: number;
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802 and RFC 7677), in its
 * format `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64). Sent in
 * `ALTER ROLE … PASSWORD`, it sets the password without the cleartext ever reaching the server,
 * its logs or pg_stat_statements, as psql's `\password` does.
 *
 *   SaltedPassword = PBKDF2-HMAC-SHA-256(Normalize(password), salt, iterations)
 *   StoredKey      = SHA-256(HMAC(SaltedPassword, "Client Key"))
 *   ServerKey      = HMAC(SaltedPassword, "Server Key")
 *
 * Normalize is SASLprep, which leaves ASCII as it is (PostgreSQL also uses control characters
 * as they are), so ASCII passwords only: a password with other characters is refused rather
 * than normalised differently from the server, which would make it never log in.
 */
export function scramSha256Verifier(password: string, options: ScramOptions = {}): string {
  if (password.length === 0) throw new TargetError('bad_request', 'An empty password cannot be set on a PostgreSQL role.');
  if (!/^[\u0000-\u007f]*$/.test(password)) {
    throw new TargetError(
      'bad_request',
      'The password has characters outside ASCII; Rotor computes SCRAM verifiers for ASCII passwords only. Generate the value over letters and digits.',
    );
  }
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const iterations = options.iterations ?? SCRAM_ITERATIONS;
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, KEY_BYTES, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
