import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type {
  CredentialTarget,
  LockOutReport,
  LoginCheck,
  LoginCredential,
  PreflightReport,
  RetiredCredential,
} from '../credential-target.js';
import { assertNamedLogin, describeEndpoint, type PostgresRoleTarget } from '../target-description.js';
import { scrubbedCause, TargetError } from '../target-error.js';
import { DEFAULT_TARGET_TIMEOUTS, type TargetTimeouts } from '../target-timeouts.js';
import { postgresPreflight } from './postgres-preflight.js';
import { quoteIdentifier, quoteLiteral } from './postgres-quoting.js';
import { withPostgresSession } from './postgres-session.js';
import { scramSha256Verifier } from './scram-verifier.js';

/** pg_terminate_backend waits for the session to end from PostgreSQL 14. */
const TERMINATE_WAITS_FROM_VERSION = 140000;

/**
 * PostgreSQL roles as a credential target. Passwords go to the server as SCRAM-SHA-256
 * verifiers computed here, never as cleartext; the managing role changes them, and a fresh
 * session as the target role proves them.
 */
export class PostgresCredentialTarget implements CredentialTarget<PostgresRoleTarget> {
  readonly engine = 'postgres' as const;

  constructor(private readonly timeouts: TargetTimeouts = DEFAULT_TARGET_TIMEOUTS) {}

  preflight(target: PostgresRoleTarget, managing: LoginCredential): Promise<PreflightReport> {
    return withPostgresSession(target, managing, this.timeouts, { managing: true, action: 'check the target', values: [] }, (client) =>
      postgresPreflight(client, target),
    );
  }

  async setCredential(target: PostgresRoleTarget, managing: LoginCredential, credential: LoginCredential): Promise<void> {
    assertNamedLogin(target, credential.username);
    const verifier = scramSha256Verifier(credential.password);
    const role = credential.username;
    await withPostgresSession(
      target,
      managing,
      this.timeouts,
      { managing: true, action: `set the password of role "${role}"`, role, values: [credential.password, verifier] },
      async (client) => {
        // LOGIN too: an alternate retired with NOLOGIN at the end of its last window comes back.
        await client.query(`ALTER ROLE ${quoteIdentifier(role)} WITH LOGIN PASSWORD ${quoteLiteral(verifier)}`);
      },
    );
  }

  async verifyLogin(target: PostgresRoleTarget, credential: LoginCredential): Promise<LoginCheck> {
    assertNamedLogin(target, credential.username);
    const started = performance.now();
    const one = await withPostgresSession(
      target,
      credential,
      this.timeouts,
      { managing: false, action: `log in as role "${credential.username}"`, values: [] },
      async (client) => {
        const result = await client.query<{ one: number }>('SELECT 1 AS one');
        return result.rows[0]?.one;
      },
    );
    if (one !== 1)
      throw new TargetError(
        'server_error',
        `Logged in as role "${credential.username}" at ${describeEndpoint(target)}, but SELECT 1 did not return 1.`,
      );
    return { latencyMs: Math.round(performance.now() - started) };
  }

  async retire(target: PostgresRoleTarget, managing: LoginCredential, credential: RetiredCredential): Promise<void> {
    assertNamedLogin(target, credential.username);
    if (target.roles.strategy === 'single-user') {
      throw new TargetError(
        'bad_request',
        `Role "${credential.username}" at ${describeEndpoint(target)} is rotated as a single user: its old password stopped working when the new one was set, and retiring the role would lock out the new one too. Nothing was changed.`,
      );
    }
    const role = credential.username;
    await withPostgresSession(
      target,
      managing,
      this.timeouts,
      { managing: true, action: `retire role "${role}" (NOLOGIN)`, role, values: [] },
      async (client) => {
        await client.query(`ALTER ROLE ${quoteIdentifier(role)} NOLOGIN`);
      },
    );
  }

  /**
   * Alternating users: the compromised role gets NOLOGIN, then its sessions are ended. Single
   * user: setting the new password already refused the old one, and NOLOGIN would refuse the new
   * one too, so only the sessions are ended.
   */
  async lockOut(target: PostgresRoleTarget, managing: LoginCredential, credential: RetiredCredential): Promise<LockOutReport> {
    assertNamedLogin(target, credential.username);
    const role = credential.username;
    const refuseLogin = target.roles.strategy === 'alternating-users';
    return withPostgresSession(
      target,
      managing,
      this.timeouts,
      { managing: true, action: `lock out role "${role}"`, role, values: [] },
      async (client) => {
        if (refuseLogin) await client.query(`ALTER ROLE ${quoteIdentifier(role)} NOLOGIN`);
        let sessionsEnded: number;
        try {
          sessionsEnded = await terminateSessions(client, role, this.timeouts.statementMs);
        } catch (error) {
          if (!refuseLogin) throw error;
          const cause = scrubbedCause(error, []);
          throw new TargetError(
            'not_privileged',
            `Role "${role}" at ${describeEndpoint(target)} now refuses new logins (NOLOGIN), but its open sessions could not be ended (${cause.message}). End them by hand: SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ${quoteLiteral(role)}; and give the managing role pg_signal_backend for next time.`,
            { cause },
          );
        }
        const ended = `${sessionsEnded} session${sessionsEnded === 1 ? '' : 's'} ended`;
        return {
          loginRefused: refuseLogin,
          sessionsEnded,
          summary: refuseLogin
            ? `Role "${role}" refuses new logins (NOLOGIN); ${ended}.`
            : `Role "${role}" already refuses the old password (the new one replaced it); ${ended}.`,
        };
      },
    );
  }
}

/** Ends every session of `role` but this one; from PostgreSQL 14 each call waits until the session is gone. */
async function terminateSessions(client: pg.Client, role: string, statementMs: number): Promise<number> {
  const version = Number((await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]?.v);
  const waitMs = Math.max(1, Math.floor(statementMs / 2));
  const terminate = version >= TERMINATE_WAITS_FROM_VERSION ? `pg_terminate_backend(pid, ${waitMs})` : 'pg_terminate_backend(pid)';
  const result = await client.query<{ ended: number }>(
    `SELECT count(*) FILTER (WHERE ended)::int AS ended
       FROM (SELECT ${terminate} AS ended FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()) AS sessions`,
    [role],
  );
  return result.rows[0]?.ended ?? 0;
}
