import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LoginCredential } from '../../src/targets/credential-target.js';
import type { PostgresServer } from './postgres.js';
import { createAlternatingPair, createLoginRole, createManagingRole, uniqueRole } from './postgres-roles.js';

/** An AWS secret (in moto) whose value logs in at a real PostgreSQL role, and the target the inventory gives it. */
export interface PostgresTargetSecret {
  name: string;
  /** The managing credential's secret, `managing_ref` of the target. */
  admin: string;
  manager: LoginCredential;
  active: LoginCredential;
  /** The inactive role of an alternating pair; null for a single user. */
  other: LoginCredential | null;
  /** The secret's JSON value, in AWS's convention for a database secret. */
  value: Record<string, string | number>;
  initialVersion: string;
  target: Record<string, unknown>;
}

/**
 * Creates the roles at the server (a managing role, then an alternating pair or one login role),
 * the managing secret and the secret itself in the store, all with values made at run time.
 * `managing: 'missing'` leaves the managing secret out; `port` points the target elsewhere (a
 * server that is not there, or a forwarder).
 */
export async function seedPostgresTargetSecret(
  server: PostgresServer,
  sdk: SecretsManagerClient,
  options: { roles: 'alternating' | 'single'; managing?: 'good' | 'no-createrole' | 'missing'; port?: number; prefix?: string },
): Promise<PostgresTargetSecret> {
  const suffix = uniqueRole(options.prefix ?? 's');
  const name = `prod/${suffix}/db`;
  const admin = `prod/${suffix}/db_admin`;
  const manager = await createManagingRole(server, { createrole: options.managing !== 'no-createrole' });
  if (options.managing !== 'missing') await sdk.send(new CreateSecretCommand({ Name: admin, SecretString: JSON.stringify(manager) }));
  let active: LoginCredential;
  let other: LoginCredential | null = null;
  if (options.roles === 'alternating') {
    const pair = await createAlternatingPair(server);
    active = pair.first;
    other = pair.second;
  } else active = await createLoginRole(server, uniqueRole('app'));
  const value = {
    engine: 'postgres',
    host: server.host,
    port: server.port,
    username: active.username,
    password: active.password,
    dbname: 'postgres',
  };
  const created = await sdk.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
  const target = {
    engine: 'postgres',
    host: server.host,
    port: options.port ?? server.port,
    dbname: 'postgres',
    tls: 'disable',
    ...(other ? { roles: [active.username, other.username] } : { role: active.username }),
    managing_ref: admin,
  };
  return { name, admin, manager, active, other, value, initialVersion: created.VersionId as string, target };
}
