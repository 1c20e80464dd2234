import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';
import type { LoginCredential } from '../credential-target.js';
import type { PostgresRoleTarget, TlsMode } from '../target-description.js';
import { lockTimeoutMs, type TargetTimeouts } from '../target-timeouts.js';
import { translatePostgresError, type PostgresCall } from './postgres-errors.js';

/** How long closing a session may take before Rotor stops waiting for the server's goodbye. */
const CLOSE_GRACE_MS = 1_000;

/** The client-side read timeout is a backstop behind the server's own statement_timeout. */
const READ_TIMEOUT_MARGIN_MS = 2_000;

/**
 * One fresh session as `login` on the target's database, for one call: connect (TLS as the
 * target says, bounded by connectMs), run `work` (each statement bounded by statementMs on the
 * server and a little more on the client), close. Every failure comes out as a TargetError.
 */
export async function withPostgresSession<T>(
  target: PostgresRoleTarget,
  login: LoginCredential,
  timeouts: TargetTimeouts,
  call: Omit<PostgresCall, 'target' | 'login' | 'timeouts' | 'stage'>,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const context: PostgresCall = {
    ...call,
    target,
    login: login.username,
    timeouts,
    stage: 'login',
    values: [login.password, ...call.values],
  };
  // pg is loaded by the first session, not with Rotor: a bot without a PostgreSQL target never pays for it.
  const { default: postgres } = await import('pg');
  const client = new postgres.Client({
    host: target.host,
    port: target.port,
    database: target.database,
    user: login.username,
    password: login.password,
    ssl: sslOptions(target.tls, target.host),
    connectionTimeoutMillis: timeouts.connectMs,
    statement_timeout: timeouts.statementMs,
    lock_timeout: lockTimeoutMs(timeouts),
    query_timeout: timeouts.statementMs + READ_TIMEOUT_MARGIN_MS,
    application_name: 'rotor',
  });
  // A session ended by the server (a terminated backend) is reported through the call's promise.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw translatePostgresError(error, context);
  }
  try {
    return await work(client);
  } catch (error) {
    throw translatePostgresError(error, { ...context, stage: 'statement' });
  } finally {
    await Promise.race([client.end().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
  }
}

function sslOptions(mode: TlsMode, host: string): false | ConnectionOptions {
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  // SNI takes host names only (RFC 6066); for an IP address the certificate is checked against the IP.
  return isIP(host) === 0 ? { rejectUnauthorized: true, servername: host } : { rejectUnauthorized: true };
}
