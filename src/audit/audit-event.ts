import { createHash } from 'node:crypto';
import { RotorError } from '../core/errors.js';
import type { HmacKey } from '../core/hmac-keyring.js';

/** Free-form evidence: ticket ids, version ids, fingerprints, validation results. Never a value. */
export type AuditDetails = Record<string, unknown>;

export interface AuditEventInput {
  /** Slack user id, `cli:<os user>`, or `rotor` for the bot's own jobs. */
  actor: string;
  /** Dotted verb, e.g. `secret.created`, `secret.owner_changed`, `access.denied`. */
  action: string;
  secret?: string | null;
  details?: AuditDetails;
}

export interface AuditEvent {
  seq: number;
  at: string;
  actor: string;
  action: string;
  secret: string | null;
  details: AuditDetails;
  prevHash: string;
  hash: string;
  /** What made `hash`: PLAIN_SCHEME, or `hmac-sha256:<key id>` (see keyedScheme). */
  scheme: string;
}

/** The hash of "no event before": the chain's anchor. */
export const GENESIS_HASH = '0'.repeat(64);

/** A plain SHA-256 chain: anyone who can write the file can recompute it. */
export const PLAIN_SCHEME = 'sha256';

const KEYED_PREFIX = 'hmac-sha256:';

/** The scheme of events keyed with ROTOR_AUDIT_KEY's key of this id. */
export function keyedScheme(keyId: string): string {
  return `${KEYED_PREFIX}${keyId}`;
}

/** The key id a keyed scheme names, or null for the plain scheme (or one Rotor does not know). */
export function keyIdOfScheme(scheme: string): string | null {
  return scheme.startsWith(KEYED_PREFIX) ? scheme.slice(KEYED_PREFIX.length) : null;
}

/**
 * JSON with object keys sorted at every depth, so the same event always hashes the same
 * whatever order its details were built in. Written directly rather than by sorting copies:
 * bulk imports hash one event per secret.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON(): unknown }).toJSON());
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/**
 * Each event's hash covers its position, its content and the previous event's hash: the fixed
 * fields as a JSON array (which holds no raw newline), a newline, then the details exactly as
 * stored. A keyed event's header also holds its scheme, and the whole is an HMAC-SHA256 with
 * that key, so nobody without the key can recompute it; the plain scheme keeps the SHA-256
 * every earlier release wrote, so old chains still verify.
 */
export function hashEvent(event: Omit<AuditEvent, 'hash' | 'details'>, detailsJson: string, key?: HmacKey): string {
  if (event.scheme === PLAIN_SCHEME) {
    const header = JSON.stringify([event.seq, event.at, event.actor, event.action, event.secret, event.prevHash]);
    return createHash('sha256').update(header).update('\n').update(detailsJson).digest('hex');
  }
  if (!key || keyedScheme(key.id) !== event.scheme)
    throw new RotorError('internal', `Event #${event.seq} is ${event.scheme}; it needs that key to be hashed.`);
  const header = JSON.stringify([event.seq, event.at, event.actor, event.action, event.secret, event.prevHash, event.scheme]);
  return key.mac(header, '\n', detailsJson);
}
