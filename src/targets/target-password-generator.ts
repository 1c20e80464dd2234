import { randomBytes } from 'node:crypto';
import { RotorError } from '../core/errors.js';

/**
 * Letters and digits only: safe unquoted in connection URLs, DSNs, .pgpass files, shell lines
 * and JSON, where `: / @ " ' \` and whitespace broke the peers' generated passwords.
 */
export const TARGET_PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export const TARGET_PASSWORD_LENGTH = { min: 32, default: 40, max: 128 } as const;

/** The largest multiple of the alphabet's size that fits in a byte: bytes from here on are drawn again. */
const UNBIASED_LIMIT = 256 - (256 % TARGET_PASSWORD_ALPHABET.length);

/**
 * A new password for a credential target (a database role, a Redis ACL user), from the
 * operating system's CSPRNG. Each character is one random byte below the largest multiple of 62
 * (248), taken modulo 62; bytes at or above it are rejected and drawn again, so every character
 * is equally likely (no modulo bias). Log2(62) ≈ 5.95 bits a character: 40 characters ≈ 238 bits.
 */
export function generateTargetPassword(
  length: number = TARGET_PASSWORD_LENGTH.default,
  random: (size: number) => Uint8Array = randomBytes,
): string {
  if (!Number.isInteger(length) || length < TARGET_PASSWORD_LENGTH.min || length > TARGET_PASSWORD_LENGTH.max) {
    throw new RotorError(
      'validation',
      `A target password is ${TARGET_PASSWORD_LENGTH.min} to ${TARGET_PASSWORD_LENGTH.max} characters long; ${String(length)} was asked for.`,
    );
  }
  let password = '';
  while (password.length < length) {
    // A few more bytes than needed: about 3% are rejected.
    for (const byte of random(length - password.length + 8)) {
      if (byte >= UNBIASED_LIMIT) continue;
      password += TARGET_PASSWORD_ALPHABET[byte % TARGET_PASSWORD_ALPHABET.length];
      if (password.length === length) break;
    }
  }
  return password;
}
