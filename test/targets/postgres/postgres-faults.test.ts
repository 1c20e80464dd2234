import { inspect } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCredentialTarget } from '../../../src/targets/postgres/postgres-credential-target.js';
import { TargetError } from '../../../src/targets/target-error.js';
import { generateTargetPassword } from '../../../src/targets/target-password-generator.js';
import { freePort } from '../../support/moto.js';
import { shouldRunPostgresSuite, usePostgres } from '../../support/postgres.js';
import { createLoginRole, createManagingRole, logsIn, singleUserTarget, uniqueRole } from '../../support/postgres-roles.js';
import { startSilentServer, type SilentServer } from '../../support/silent-server.js';

async function failureOf(promise: Promise<unknown>): Promise<TargetError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TargetError);
  return error as TargetError;
}

describe.runIf(shouldRunPostgresSuite('PostgreSQL fault tests'))('PostgreSQL target faults: a clear answer, nothing half-done', () => {
  const server = usePostgres();
  let silent: SilentServer;
  beforeAll(async () => {
    silent = await startSilentServer();
  });
  afterAll(async () => silent.stop());

  it('a target nobody listens on is unreachable (transient), with the host and port to check', async () => {
    const targets = new PostgresCredentialTarget();
    const role = uniqueRole('app');
    const target = singleUserTarget(server, role, { port: await freePort() });
    const error = await failureOf(targets.preflight(target, { username: 'manager', password: generateTargetPassword() }));
    expect(error.failure).toBe('unreachable');
    expect(error.transient).toBe(true);
    expect(error.code).toBe('provider_unavailable');
    expect(error.message).toContain('cannot be reached (ECONNREFUSED)');
  });

  it('a target that accepts the connection and never answers times out at connectMs', async () => {
    const targets = new PostgresCredentialTarget({ connectMs: 300, statementMs: 1_000 });
    const role = uniqueRole('app');
    const error = await failureOf(
      targets.verifyLogin(singleUserTarget(server, role, { port: silent.port }), { username: role, password: generateTargetPassword() }),
    );
    expect(error.failure).toBe('timeout');
    expect(error.transient).toBe(true);
    expect(error.message).toContain('no answer within 300 ms while connecting and logging in');
  });

  it('a server without TLS, for a target that requires it: a TLS error that says what to change', async () => {
    const targets = new PostgresCredentialTarget();
    const manager = await createManagingRole(server);
    const role = await createLoginRole(server, uniqueRole('app'));
    for (const tls of ['require', 'verify-full'] as const) {
      const error = await failureOf(
        targets.setCredential(singleUserTarget(server, role.username, { tls }), manager, {
          username: role.username,
          password: generateTargetPassword(),
        }),
      );
      expect(error.failure).toBe('tls');
      expect(error.message).toContain(`does not accept TLS, and the target's tls is "${tls}"`);
    }
    expect(await logsIn(server, role)).toBe(true);
  });

  it('a wrong managing password is managing_refused, names the managing secret, and carries neither password', async () => {
    const targets = new PostgresCredentialTarget();
    const manager = await createManagingRole(server);
    const role = await createLoginRole(server, uniqueRole('app'));
    const wrong = { username: manager.username, password: generateTargetPassword() };
    const next = { username: role.username, password: generateTargetPassword() };
    const error = await failureOf(
      targets.setCredential(singleUserTarget(server, role.username, { managingSecretRef: 'prod/db/manager' }), wrong, next),
    );
    expect(error.failure).toBe('managing_refused');
    expect(error.code).toBe('forbidden');
    expect(error.message).toContain(`managing credential (role "${manager.username}")`);
    expect(error.message).toContain('prod/db/manager');
    const everything = inspect(error, { depth: 10 });
    expect(everything).not.toContain(wrong.password);
    expect(everything).not.toContain(next.password);
    expect(await logsIn(server, role)).toBe(true);
  });

  it('a database that does not exist: not_ready, naming it', async () => {
    const targets = new PostgresCredentialTarget();
    const manager = await createManagingRole(server);
    const role = await createLoginRole(server, uniqueRole('app'));
    const error = await failureOf(targets.preflight(singleUserTarget(server, role.username, { database: 'no_such_db' }), manager));
    expect(error.failure).toBe('not_ready');
    expect(error.message).toContain('database "no_such_db" does not exist');
  });

  it("a statement stuck behind another session's lock times out: the server cancels it, the old password still works, the new one does not", async () => {
    const targets = new PostgresCredentialTarget({ connectMs: 5_000, statementMs: 500 });
    const manager = await createManagingRole(server);
    const role = await createLoginRole(server, uniqueRole('app'));
    const holder = new pg.Client({
      host: server.host,
      port: server.port,
      database: 'postgres',
      user: server.superuser.user,
      password: server.superuser.password,
    });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`ALTER ROLE "${role.username}" VALID UNTIL 'infinity'`);
    const next = { username: role.username, password: generateTargetPassword() };
    try {
      const error = await failureOf(targets.setCredential(singleUserTarget(server, role.username), manager, next));
      expect(error.failure).toBe('timeout');
      expect(error.message).toContain('no answer within 400 ms while waiting for a lock another session holds');
      expect(inspect(error, { depth: 10 })).not.toContain(next.password);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(await logsIn(server, role)).toBe(true);
    expect(await logsIn(server, next)).toBe(false);
  });
});
