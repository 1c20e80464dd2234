import { describe, expect, it } from 'vitest';
import { assertPreflightPassed } from '../../../src/targets/credential-target.js';
import { PostgresCredentialTarget } from '../../../src/targets/postgres/postgres-credential-target.js';
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

describe.runIf(shouldRunPostgresSuite('PostgreSQL preflight tests'))('PostgreSQL preflight against a real server', () => {
  const server = usePostgres();

  it('passes for a CREATEROLE managing role and two alternating roles in one group role, and reports the server version', async () => {
    const manager = await createManagingRole(server);
    const { first, second } = await createAlternatingPair(server);
    const report = await targets.preflight(alternatingTarget(server, [first.username, second.username]), manager);
    expect(report).toEqual({ serverVersion: expect.stringMatching(/^\d+\.\d+/), problems: [], warnings: [] });
    expect(() => assertPreflightPassed(report, 'the target')).not.toThrow();
  });

  it('a managing role without CREATEROLE: a problem with the exact fix, and setting a password is refused as not_privileged with nothing changed', async () => {
    const manager = await createManagingRole(server, { createrole: false });
    const role = await createLoginRole(server, uniqueRole('app'));
    const target = singleUserTarget(server, role.username);

    const report = await targets.preflight(target, manager);
    expect(report.problems).toEqual([
      {
        check: 'managing-privilege',
        message: expect.stringContaining('has no CREATEROLE'),
        fix: `ALTER ROLE "${manager.username}" CREATEROLE;`,
      },
    ]);
    const refusal = (() => {
      try {
        assertPreflightPassed(report, `PostgreSQL role "${role.username}"`);
      } catch (error) {
        return error as TargetError;
      }
      return null;
    })();
    expect(refusal).toBeInstanceOf(TargetError);
    expect(refusal?.failure).toBe('not_privileged');
    expect(refusal?.message).toContain(`ALTER ROLE "${manager.username}" CREATEROLE;`);

    const error = await targets
      .setCredential(target, manager, { username: role.username, password: generateTargetPassword() })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TargetError);
    expect((error as TargetError).failure).toBe('not_privileged');
    expect((error as TargetError).message).toContain('CREATEROLE');
    expect(await logsIn(server, role)).toBe(true);

    await server.sql(report.problems[0]?.fix ?? '');
    expect((await targets.preflight(target, manager)).problems).toEqual([]);
  });

  it('a role that does not exist: a problem in preflight, and login_missing when setting its password', async () => {
    const manager = await createManagingRole(server);
    const missing = uniqueRole('ghost');
    const target = singleUserTarget(server, missing);
    const report = await targets.preflight(target, manager);
    expect(report.problems).toEqual([
      {
        check: 'login-exists',
        message: `Role "${missing}" does not exist at the server.`,
        fix: expect.stringContaining(`CREATE ROLE "${missing}" LOGIN;`),
      },
    ]);
    const error = await targets
      .setCredential(target, manager, { username: missing, password: generateTargetPassword() })
      .catch((caught: unknown) => caught);
    expect((error as TargetError).failure).toBe('login_missing');
    expect((error as TargetError).message).toContain(`role "${missing}" does not exist`);
  });

  it('a superuser target role with a CREATEROLE managing role: a problem', async () => {
    const manager = await createManagingRole(server);
    const role = await createLoginRole(server, uniqueRole('super'), 'SUPERUSER');
    const report = await targets.preflight(singleUserTarget(server, role.username), manager);
    expect(report.problems.map((problem) => problem.check)).toEqual(['login-superuser']);
  });

  it('a managing role that cannot end sessions: a warning with the grant that fixes it', async () => {
    const manager = await createManagingRole(server, { signal: false });
    const role = await createLoginRole(server, uniqueRole('app'));
    const report = await targets.preflight(singleUserTarget(server, role.username), manager);
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([
      {
        check: 'managing-end-sessions',
        message: expect.stringContaining('cannot end'),
        fix: `GRANT pg_signal_backend TO "${manager.username}";`,
      },
    ]);
  });

  it('alternating roles in no common group role: a problem whose SQL, once run, makes preflight pass', async () => {
    const manager = await createManagingRole(server);
    const base = uniqueRole('pair');
    const first = await createLoginRole(server, `${base}_a`);
    const second = await createLoginRole(server, `${base}_b`);
    const target = alternatingTarget(server, [first.username, second.username]);

    const report = await targets.preflight(target, manager);
    expect(report.problems).toEqual([
      {
        check: 'alternating-group',
        message: expect.stringContaining('not members of a common group role'),
        fix: expect.stringContaining(`CREATE ROLE "${base}_group" NOLOGIN;`),
      },
    ]);
    expect(report.problems[0]?.fix).toContain(`GRANT "${base}_group" TO "${first.username}", "${second.username}";`);

    await server.sql(report.problems[0]?.fix ?? '');
    expect((await targets.preflight(target, manager)).problems).toEqual([]);
  });

  it('alternating roles with different grants or objects of their own: one problem listing them, with SQL that moves them to the group role', async () => {
    const manager = await createManagingRole(server);
    const { group, first, second } = await createAlternatingPair(server);
    const table = uniqueRole('orders');
    const owned = uniqueRole('scratch');
    await server.sql(`CREATE TABLE ${table} (id int)`);
    await server.sql(`GRANT SELECT, INSERT ON ${table} TO "${first.username}"`);
    await server.sql(`CREATE TABLE ${owned} (id int)`);
    await server.sql(`ALTER TABLE ${owned} OWNER TO "${second.username}"`);
    const target = alternatingTarget(server, [first.username, second.username]);

    const report = await targets.preflight(target, manager);
    expect(report.problems).toHaveLength(1);
    const [problem] = report.problems;
    expect(problem?.check).toBe('alternating-grants');
    expect(problem?.message).toContain(`"${first.username}": SELECT on table ${table}`);
    expect(problem?.message).toContain(`"${first.username}": INSERT on table ${table}`);
    expect(problem?.message).toContain(`"${second.username}": owns table ${owned}`);
    expect(problem?.fix).toContain(`GRANT SELECT ON TABLE ${table} TO "${group}";`);
    expect(problem?.fix).toContain(`ALTER TABLE ${owned} OWNER TO "${group}";`);

    await server.sql(problem?.fix ?? '');
    expect((await targets.preflight(target, manager)).problems).toEqual([]);
  });

  it('alternating roles in different extra group roles: a problem naming them', async () => {
    const manager = await createManagingRole(server);
    const { first, second } = await createAlternatingPair(server);
    const extra = uniqueRole('reporting');
    await server.sql(`CREATE ROLE "${extra}" NOLOGIN`);
    await server.sql(`GRANT "${extra}" TO "${first.username}"`);
    const report = await targets.preflight(alternatingTarget(server, [first.username, second.username]), manager);
    expect(report.problems).toEqual([
      {
        check: 'alternating-group',
        message: expect.stringContaining(`only "${first.username}" is in "${extra}"`),
        fix: `GRANT "${extra}" TO "${second.username}";`,
      },
    ]);
  });
});
