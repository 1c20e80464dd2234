import { createHash } from 'node:crypto';
import type { HmacKeyring } from '../core/hmac-keyring.js';
import type { ReadOptions, VersionFingerprint } from './secret-provider.js';

/**
 * Fingerprints of secret values, with a visible scheme:
 * - `hmac-sha256:<key id>:<hex>`: HMAC-SHA256 of the value with ROTOR_FINGERPRINT_KEY, so a
 *   stolen database or audit export cannot be used to guess weak values offline;
 * - `sha256:<hex>`: the plain SHA-256, written when no key is set (and, bare without the
 *   prefix, by releases before keys: those values are legacy and guessable).
 * By hand: `… | openssl dgst -sha256 -hmac "$KEY"` gives the hex of the keyed form.
 */
export interface Fingerprinter {
  readonly keyed: boolean;
  /** The fingerprint Rotor stores for this value now. Callers drop the value right after. */
  of(value: string | Uint8Array): string;
  /**
   * Whether `stored` (in any scheme Rotor has written: keyed with any configured key, plain, or
   * bare legacy hex) is a fingerprint of `value`; computed in memory from the same read.
   */
  matches(value: string | Uint8Array, stored: string): boolean;
  /** Whether `stored` is in the scheme `of` writes now (else a re-read can bring it up to date). */
  isCurrent(stored: string | null): boolean;
}

const KEYED = 'hmac-sha256:';
const PLAIN = 'sha256:';
const LEGACY = /^[0-9a-f]{64}$/;

function sha256(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A fingerprinter keyed with ROTOR_FINGERPRINT_KEY's signing key; plain SHA-256 without keys. */
export function createFingerprinter(keys: HmacKeyring | null): Fingerprinter {
  const currentPrefix = keys ? `${KEYED}${keys.current.id}:` : PLAIN;
  return {
    keyed: keys !== null,
    of: (value) => (keys ? `${currentPrefix}${keys.current.mac(value)}` : `${PLAIN}${sha256(value)}`),
    matches(value, stored) {
      if (LEGACY.test(stored)) return sha256(value) === stored;
      if (stored.startsWith(PLAIN)) return `${PLAIN}${sha256(value)}` === stored;
      if (!stored.startsWith(KEYED)) return false;
      const [keyId, mac] = stored.slice(KEYED.length).split(':');
      const key = keyId === undefined ? undefined : keys?.byId(keyId);
      return key !== undefined && key.mac(value) === mac;
    },
    isCurrent: (stored) => stored !== null && stored.startsWith(currentPrefix),
  };
}

/** The scheme part of a stored fingerprint, for audit details: `hmac-sha256:<key id>`, `sha256`, or `sha256-legacy` (bare hex). */
export function fingerprintScheme(stored: string): string {
  if (LEGACY.test(stored)) return 'sha256-legacy';
  return stored.startsWith(KEYED) ? stored.slice(0, stored.lastIndexOf(':')) : stored.slice(0, stored.indexOf(':'));
}

/** The fingerprint of a value just read, and the comparison asked for, before the value is dropped. */
export function fingerprintRead(
  fingerprints: Fingerprinter,
  value: string | Uint8Array,
  options: ReadOptions,
): Omit<VersionFingerprint, 'versionId'> {
  const fingerprint = fingerprints.of(value);
  if (options.compareWith === undefined) return { fingerprint };
  return { fingerprint, sameValue: options.compareWith !== null && fingerprints.matches(value, options.compareWith) };
}

/** A stored fingerprint taken apart: the algorithm as people name it, the key id when keyed, and the hex digest. */
export interface FingerprintParts {
  algorithm: 'HMAC-SHA256' | 'SHA-256';
  keyId: string | null;
  hex: string;
}

const HEX = /^[0-9a-f]{64}$/;

/** The parts of a fingerprint in any scheme Rotor has written, or null for one it never writes. */
export function fingerprintParts(stored: string): FingerprintParts | null {
  if (LEGACY.test(stored)) return { algorithm: 'SHA-256', keyId: null, hex: stored };
  if (stored.startsWith(PLAIN)) {
    const hex = stored.slice(PLAIN.length);
    return HEX.test(hex) ? { algorithm: 'SHA-256', keyId: null, hex } : null;
  }
  if (!stored.startsWith(KEYED)) return null;
  const [keyId, hex, ...rest] = stored.slice(KEYED.length).split(':');
  return keyId && hex && rest.length === 0 && HEX.test(hex) ? { algorithm: 'HMAC-SHA256', keyId, hex } : null;
}

/** How many hex digits of a fingerprint people are shown. */
export const SHOWN_HEX_DIGITS = 12;

/**
 * A fingerprint as every surface shows it (modals, announcements, `rotor rotations show`,
 * `rotor incidents show`): what it is, then the first 12 hex digits of the value's digest, e.g.
 * `HMAC-SHA256 1a2b3c4d5e6f`. Never the key id: it is the same for every secret.
 */
export function displayFingerprint(stored: string | null | undefined, none = '-'): string {
  if (!stored) return none;
  const parts = fingerprintParts(stored);
  return parts
    ? `${parts.algorithm} ${parts.hex.slice(0, SHOWN_HEX_DIGITS)}`
    : `unrecognised fingerprint ${stored.slice(0, SHOWN_HEX_DIGITS)}`;
}
