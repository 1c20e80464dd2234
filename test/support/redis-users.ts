import { createHash, randomBytes } from 'node:crypto';
import { createClient } from '@redis/client';
import type { LoginCredential } from '../../src/targets/credential-target.js';
import type { RedisAclUserTarget } from '../../src/targets/target-description.js';
import { generateTargetPassword } from '../../src/targets/target-password-generator.js';
import type { RedisServer } from './redis.js';

export function uniqueUser(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** SHA-256 hex, computed here independently of the adapter: how Redis lists a password. */
export function sha256Hex(password: string): string {
  return createHash('sha256').update(password).digest('hex');
}

/** An application user with a password made at run time, allowed everything on its own keys. */
export async function createAppUser(server: RedisServer, name = uniqueUser('app')): Promise<LoginCredential> {
  const password = generateTargetPassword();
  await server.command(['ACL', 'SETUSER', name, 'on', `#${sha256Hex(password)}`, '~*', '+@all']);
  return { username: name, password };
}

/** A managing user with exactly the commands the README asks for (or fewer). */
export async function createManagingUser(
  server: RedisServer,
  commands = ['+acl|setuser', '+acl|getuser', '+acl|whoami', '+client|kill'],
): Promise<LoginCredential> {
  const manager = { username: uniqueUser('rotor-manager'), password: generateTargetPassword() };
  await server.command(['ACL', 'SETUSER', manager.username, 'on', `#${sha256Hex(manager.password)}`, '-@all', ...commands]);
  return manager;
}

export function redisTarget(server: RedisServer, user: string, overrides: Partial<RedisAclUserTarget> = {}): RedisAclUserTarget {
  return { engine: 'redis', host: server.host, port: server.port, tls: 'disable', user, managingSecretRef: null, ...overrides };
}

/** The SHA-256 digests of the user's passwords, as ACL GETUSER lists them. */
export async function passwordHashes(server: RedisServer, user: string): Promise<string[]> {
  const reply = (await server.command(['ACL', 'GETUSER', user])) as { passwords: string[] };
  return [...reply.passwords].sort();
}

/**
 * Whether `credential` logs in right now, checked with a client of its own (not the adapter):
 * false when Redis answers WRONGPASS, any other failure thrown.
 */
export async function logsIn(server: RedisServer, credential: LoginCredential): Promise<boolean> {
  const client = createClient({
    socket: { host: server.host, port: server.port, reconnectStrategy: false },
    username: credential.username,
    password: credential.password,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('WRONGPASS')) return false;
    throw error;
  } finally {
    if (client.isOpen) client.destroy();
  }
}
