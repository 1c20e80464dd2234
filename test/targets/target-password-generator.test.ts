import { describe, expect, it } from 'vitest';
import { generateTargetPassword, TARGET_PASSWORD_ALPHABET } from '../../src/targets/target-password-generator.js';

describe('generateTargetPassword', () => {
  it('makes 40 letters and digits by default, different every time', () => {
    const first = generateTargetPassword();
    const second = generateTargetPassword();
    expect(first).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(second).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(first).not.toBe(second);
  });

  it('has no character that breaks a URL, a DSN or a .pgpass line', () => {
    expect(TARGET_PASSWORD_ALPHABET).toHaveLength(62);
    for (const unsafe of [':', '/', '@', '"', "'", '\\', ' ', '%', '#', '?', '&', '='])
      expect(TARGET_PASSWORD_ALPHABET).not.toContain(unsafe);
  });

  it('takes lengths from 32 to 128 and refuses shorter or longer ones', () => {
    expect(generateTargetPassword(32)).toHaveLength(32);
    expect(generateTargetPassword(128)).toHaveLength(128);
    for (const length of [0, 16, 31, 129, 40.5]) expect(() => generateTargetPassword(length)).toThrow(/32 to 128 characters/);
  });

  it('maps each byte below 248 to the alphabet by its remainder and draws again for 248 to 255 (no modulo bias)', () => {
    // Bytes from a scripted source: the rejected ones (248..255) leave no trace in the result.
    const script = [248, 0, 255, 61, 62, 247, 249, 123, ...Array.from({ length: 64 }, (_, index) => index)];
    let offset = 0;
    const random = (size: number) => {
      const bytes = Uint8Array.from(script.slice(offset, offset + size));
      offset += size;
      return bytes;
    };
    const password = generateTargetPassword(32, random);
    const expected = [0, 61, 62, 247, 123, ...Array.from({ length: 27 }, (_, index) => index)]
      .map((byte) => TARGET_PASSWORD_ALPHABET[byte % 62])
      .join('');
    expect(password).toBe(expected);
    expect(password.startsWith('A9A9')).toBe(true);
  });
});
