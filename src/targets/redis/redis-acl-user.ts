import { createHash } from 'node:crypto';
import type { RedisCommand } from './redis-session.js';

/** What ACL GETUSER says of a user that matters for rotation. */
export interface AclUser {
  flags: string[];
  /** SHA-256 hex digests of the user's valid passwords: Redis never keeps the passwords. */
  passwordHashes: string[];
}

/**
 * The form Redis keeps a password in, and takes it in with `ACL SETUSER u #<hash>` (add) and
 * `!<hash>` (remove): the same as `>password` and `<password`, but the value itself never
 * crosses the wire or reaches an error reply that repeats the modifier.
 */
export function aclPasswordHash(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('hex');
}

/**
 * ACL GETUSER; null when the user does not exist. node-redis answers with an object of the
 * reply's fields; a flat key/value array (the raw RESP2 shape) is read too.
 */
export async function readAclUser(command: RedisCommand, user: string): Promise<AclUser | null> {
  const reply = await command(['ACL', 'GETUSER', user]);
  if (reply === null || reply === undefined) return null;
  const fields = new Map<string, unknown>();
  if (Array.isArray(reply)) {
    for (let index = 0; index + 1 < reply.length; index += 2) fields.set(String(reply[index]), reply[index + 1]);
  } else if (reply instanceof Map) {
    for (const [key, value] of reply) fields.set(String(key), value);
  } else if (typeof reply === 'object') {
    for (const [key, value] of Object.entries(reply)) fields.set(key, value);
  }
  const strings = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
  return { flags: strings(fields.get('flags')), passwordHashes: strings(fields.get('passwords')) };
}
