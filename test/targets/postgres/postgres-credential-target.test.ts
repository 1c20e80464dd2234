import pg from 'pg';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PostgresCredentialTarget } from '../../../src/targets/postgres/postgres-credential-target.js';
import { planRoleRotation } from '../../../src/targets/postgres/role-strategies.js';
import { TargetError } from '../../../src/targets/target-error.js';
import { generateTargetPassword } from '../../../src/targets/target-password-generator.js';
import { shouldRunPostgresSuite, usePostgres } from '../../support/postgres.js';
import {
  alternatingTarget,
  createAlternatingPair,
  createLoginRole,
  createManagingRole,
  logsIn,
  singleUserTarget,
  uniqueRole,
} from '../../support/postgres-roles.js';

const targets = new PostgresCredentialTarget();

async function failureOf(promise: Promise<unknown>): Promise<TargetError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TargetError);
  return error as TargetError;
}

describe.runIf(shouldRunPostgresSuite('PostgreSQL credential target tests'))('PostgreSQL credential target against a real server', () => {
  const server = usePostgres();

  it('sets a new password as a SCRAM verifier: the role logs in with it, the old one is refused, and the cleartext is nowhere in the server log', async () => {
    const manager = await createManagingRole(server);
    const role = await createLoginRole(server, uniqueRole('app'));
    const target = singleUserTarget(server, role.username);
    const next = { username: role.username, password: generateTargetPassword() };

    await targets.setCredential(target, manager, next);

    expect(await logsIn(server, next)).toBe(true);
    expect(await logsIn(server, role)).toBe(false);
    const check = await targets.verifyLogin(target, next);
    expect(check.latencyMs).toBeGreaterThanOrEqual(0);
    const log = server.log();
    expect(log).not.toContain(next.password);
    expect(log).not.toContain(manager.password);
    const [stored] = await server.sql<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role.username]);
    expect(stored?.rolpassword).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    // What the server logged is the verifier it stored, sent by Rotor.
    expect(log).toContain(`ALTER ROLE "${role.username}" WITH LOGIN PASSWORD '${stored?.rolpassword}'`);
  });

  it('setting the same password twice leaves it working (the step can be run again)', async () => {
    const manager = await createManagingRole(server);
    const role = await createLoginRole(server, uniqueRole('app'));
    const target = singleUserTarget(server, role.username);
    const next = { username: role.username, password: generateTargetPassword() };
    await targets.setCredential(target, manager, next);
    await targets.setCredential(target, manager, next);
    expect(await logsIn(server, next)).toBe(true);
  });

  it('quotes role names as identifiers: a role named with quotes, spaces and a semicolon is changed, and nothing else runs', async () => {
    const manager = await createManagingRole(server);
    const name = `odd "name"; DROP ROLE x; ${uniqueRole('r')}`;
    await createLoginRole(server, name);
    const next = { username: name, password: generateTargetPassword() };
    await targets.setCredential(singleUserTarget(server, name), manager, next);
    expect(await logsIn(server, next)).toBe(true);
  });

  it('verifyLogin logs in as the target role, not the managing one: a wrong password is login_refused, and the error carries no value', async () => {
    const role = await createLoginRole(server, uniqueRole('app'));
    const wrong = { username: role.username, password: generateTargetPassword() };
    const error = await failureOf(targets.verifyLogin(singleUserTarget(server, role.username), wrong));
    expect(error.failure).toBe('login_refused');
    expect(error.message).toContain(`role "${role.username}"`);
    expect(inspect(error, { depth: 10 })).not.toContain(wrong.password);
    expect(server.log()).toContain(`password authentication failed for user "${role.username}"`);
  });

  it('alternating users: the inactive role gets the new password, the active one keeps working until it is retired, then is refused', async () => {
    const manager = await createManagingRole(server);
    const { first, second } = await createAlternatingPair(server);
    const target = alternatingTarget(server, [first.username, second.username]);
    const plan = planRoleRotation(target.roles, first.username);
    expect(plan).toEqual({ setOn: second.username, retireAfterWindow: first.username, authBlip: false });

    const next = { username: plan.setOn, password: generateTargetPassword() };
    await targets.setCredential(target, manager, next);
    await targets.verifyLogin(target, next);
    expect(await logsIn(server, first)).toBe(true);

    await targets.retire(target, manager, { username: first.username });
    await targets.retire(target, manager, { username: first.username });
    expect(await logsIn(server, first)).toBe(false);
    expect(await logsIn(server, next)).toBe(true);
    const error = await failureOf(targets.verifyLogin(target, first));
    expect(error.failure).toBe('login_refused');

    // The next rotation flips back: the retired role gets a new password and may log in again.
    const back = planRoleRotation(target.roles, second.username);
    const again = { username: back.setOn, password: generateTargetPassword() };
    await targets.setCredential(target, manager, again);
    expect(await logsIn(server, again)).toBe(true);
    expect(await logsIn(server, first)).toBe(false);
  });

  it('refuses to retire a single-user role (it would lock out the new password too) and changes nothing', async () => {
    const manager = await createManagingRole(server);
    const role = await createLoginRole(server, uniqueRole('app'));
    const error = await failureOf(targets.retire(singleUserTarget(server, role.username), manager, { username: role.username }));
    expect(error.failure).toBe('bad_request');
    expect(await logsIn(server, role)).toBe(true);
  });

  it('refuses a login the target does not name, before connecting', async () => {
    const manager = await createManagingRole(server);
    const role = await createLoginRole(server, uniqueRole('app'));
    const bystander = await createLoginRole(server, uniqueRole('other'));
    const error = await failureOf(
      targets.setCredential(singleUserTarget(server, role.username), manager, {
        username: bystander.username,
        password: generateTargetPassword(),
      }),
    );
    expect(error.failure).toBe('bad_request');
    expect(error.message).toContain(`"${bystander.username}" is not a login of the target`);
    expect(await logsIn(server, bystander)).toBe(true);
  });

  it('emergency lock-out of an alternating role: NOLOGIN, and its open sessions are ended', async () => {
    const manager = await createManagingRole(server);
    const { first, second } = await createAlternatingPair(server);
    const target = alternatingTarget(server, [first.username, second.username]);
    const next = { username: second.username, password: generateTargetPassword() };
    await targets.setCredential(target, manager, next);
    await targets.verifyLogin(target, next);

    const held = new pg.Client({
      host: server.host,
      port: server.port,
      database: 'postgres',
      user: first.username,
      password: first.password,
    });
    const ended = new Promise<Error>((resolve) => held.on('error', resolve));
    await held.connect();
    await held.query('SELECT 1');

    const report = await targets.lockOut(target, manager, { username: first.username });

    expect(report).toMatchObject({ loginRefused: true, sessionsEnded: 1 });
    expect(report.summary).toContain('1 session ended');
    expect((await ended).message).toMatch(/terminat/i);
    expect(await logsIn(server, first)).toBe(false);
    expect(await logsIn(server, next)).toBe(true);
    await held.end().catch(() => undefined);
  });

  it('emergency lock-out of a single user after the new password is set: sessions ended, the new password still logs in', async () => {
    const manager = await createManagingRole(server);
    const role = await createLoginRole(server, uniqueRole('app'));
    const target = singleUserTarget(server, role.username);
    const held = new pg.Client({
      host: server.host,
      port: server.port,
      database: 'postgres',
      user: role.username,
      password: role.password,
    });
    const ended = new Promise<Error>((resolve) => held.on('error', resolve));
    await held.connect();
    const next = { username: role.username, password: generateTargetPassword() };
    await targets.setCredential(target, manager, next);

    const report = await targets.lockOut(target, manager, { username: role.username });

    expect(report).toMatchObject({ loginRefused: false, sessionsEnded: 1 });
    await ended;
    expect(await logsIn(server, role)).toBe(false);
    expect(await logsIn(server, next)).toBe(true);
    await held.end().catch(() => undefined);
  });

  it('lock-out by a managing role that may not end sessions: the role refuses logins, and the error says the sessions are still open and how to end them', async () => {
    const manager = await createManagingRole(server, { signal: false });
    const { first, second } = await createAlternatingPair(server);
    const target = alternatingTarget(server, [first.username, second.username]);
    const held = new pg.Client({
      host: server.host,
      port: server.port,
      database: 'postgres',
      user: first.username,
      password: first.password,
    });
    held.on('error', () => undefined);
    await held.connect();

    const error = await failureOf(targets.lockOut(target, manager, { username: first.username }));

    expect(error.failure).toBe('not_privileged');
    expect(error.message).toContain('now refuses new logins');
    expect(error.message).toContain('pg_terminate_backend');
    expect(await logsIn(server, first)).toBe(false);
    expect((await held.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    await held.end();
  });
});
