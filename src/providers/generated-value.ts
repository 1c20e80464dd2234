import { randomBytes } from 'node:crypto';

/**
 * The characters of a value Rotor generates: letters and digits only. Such a value goes into a
 * URL's user-info, a libpq or JDBC DSN, a `redis://` URL, a shell argument or a YAML file as it
 * is, with no `/ + = : @`, quote, backslash or space to escape (base64 and base64url bring `/ + =`
 * or a leading `-`). AWS `GetRandomPassword` with `ExcludePunctuation` draws from the same set.
 */
export const GENERATED_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 48 characters of 62: about 285 bits, above the 256 of a 32-byte key. */
export const GENERATED_LENGTH = 48;

/** A fresh value from the CSPRNG, unbiased (bytes past the last whole multiple of 62 are drawn again). */
export function generateValue(length: number = GENERATED_LENGTH): string {
  const size = GENERATED_ALPHABET.length;
  const limit = 256 - (256 % size);
  let value = '';
  while (value.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= limit) continue;
      value += GENERATED_ALPHABET[byte % size];
      if (value.length === length) break;
    }
  }
  return value;
}
