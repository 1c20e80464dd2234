import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { LoginCredential } from '../../src/targets/credential-target.js';
import { scramSha256Verifier } from '../../src/targets/postgres/scram-verifier.js';
import type { PostgresRoleTarget } from '../../src/targets/target-description.js';
import { generateTargetPassword } from '../../src/targets/target-password-generator.js';
import type { PostgresServer } from './postgres.js';

/** A role name no other test uses, made at run time. */
export function uniqueRole(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Creates a LOGIN role with a password made at run time, set as a SCRAM verifier so the
 * arranging itself puts no password in the server's log.
 */
export async function createLoginRole(server: PostgresServer, name: string, attributes = ''): Promise<LoginCredential> {
  const password = generateTargetPassword();
  await server.sql(`CREATE ROLE ${quoted(name)} LOGIN ${attributes} PASSWORD '${scramSha256Verifier(password)}'`);
  return { username: name, password };
}

/** A managing role with CREATEROLE (by default) and pg_signal_backend, as the README tells people to make it. */
export async function createManagingRole(
  server: PostgresServer,
  options: { createrole?: boolean; signal?: boolean } = {},
): Promise<LoginCredential> {
  const manager = await createLoginRole(server, uniqueRole('rotor_manager'), options.createrole === false ? 'NOCREATEROLE' : 'CREATEROLE');
  if (options.signal !== false) await server.sql(`GRANT pg_signal_backend TO ${quoted(manager.username)}`);
  return manager;
}

/** Two roles that are members of one group role, which holds the grants: a well-set-up alternating pair. */
export async function createAlternatingPair(
  server: PostgresServer,
): Promise<{ group: string; first: LoginCredential; second: LoginCredential }> {
  const base = uniqueRole('app');
  const group = `${base}_group`;
  await server.sql(`CREATE ROLE ${quoted(group)} NOLOGIN`);
  const first = await createLoginRole(server, `${base}_a`);
  const second = await createLoginRole(server, `${base}_b`);
  await server.sql(`GRANT ${quoted(group)} TO ${quoted(first.username)}, ${quoted(second.username)}`);
  return { group, first, second };
}

export function singleUserTarget(server: PostgresServer, role: string, overrides: Partial<PostgresRoleTarget> = {}): PostgresRoleTarget {
  return {
    engine: 'postgres',
    host: server.host,
    port: server.port,
    database: 'postgres',
    tls: 'disable',
    roles: { strategy: 'single-user', role },
    managingSecretRef: null,
    ...overrides,
  };
}

export function alternatingTarget(
  server: PostgresServer,
  pair: readonly [string, string],
  overrides: Partial<PostgresRoleTarget> = {},
): PostgresRoleTarget {
  return { ...singleUserTarget(server, pair[0]), roles: { strategy: 'alternating-users', roles: pair }, ...overrides };
}

/**
 * Whether `credential` logs in at the server right now, checked with a client of its own (not
 * the adapter): false when the server refuses the login (28P01, 28000), any other failure thrown.
 */
export async function logsIn(server: PostgresServer, credential: LoginCredential): Promise<boolean> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    database: 'postgres',
    user: credential.username,
    password: credential.password,
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '28P01' || code === '28000') return false;
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}
