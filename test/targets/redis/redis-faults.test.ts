import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCredentialTarget } from '../../../src/targets/redis/redis-credential-target.js';
import { TargetError } from '../../../src/targets/target-error.js';
import { generateTargetPassword } from '../../../src/targets/target-password-generator.js';
import { freePort } from '../../support/moto.js';
import { shouldRunRedisSuite, useRedis } from '../../support/redis.js';
import {
  createAppUser,
  createManagingUser,
  logsIn,
  passwordHashes,
  redisTarget,
  sha256Hex,
  uniqueUser,
} from '../../support/redis-users.js';
import { startSilentServer, type SilentServer } from '../../support/silent-server.js';

async function failureOf(promise: Promise<unknown>): Promise<TargetError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TargetError);
  return error as TargetError;
}

const runs = shouldRunRedisSuite('Redis fault tests');

describe.runIf(runs)('Redis target faults: a clear answer, nothing half-done', () => {
  const server = useRedis();
  const targets = new RedisCredentialTarget();
  let silent: SilentServer;
  let hangsAfterLogin: SilentServer;
  beforeAll(async () => {
    silent = await startSilentServer();
    hangsAfterLogin = await startSilentServer({ acceptRedisLogin: true });
  });
  afterAll(async () => {
    await silent.stop();
    await hangsAfterLogin.stop();
  });

  it('a target nobody listens on is unreachable (transient)', async () => {
    const error = await failureOf(
      targets.verifyLogin(redisTarget(server, 'app', { port: await freePort() }), { username: 'app', password: generateTargetPassword() }),
    );
    expect(error.failure).toBe('unreachable');
    expect(error.transient).toBe(true);
    expect(error.message).toContain('cannot be reached (ECONNREFUSED)');
  });

  it('a target that never answers times out while logging in; one that goes silent after the login times out on the command', async () => {
    const quick = new RedisCredentialTarget({ connectMs: 300, statementMs: 300 });
    const manager = { username: 'manager', password: generateTargetPassword() };
    const credential = { username: 'app', password: generateTargetPassword() };
    const atLogin = await failureOf(quick.setCredential(redisTarget(server, 'app', { port: silent.port }), manager, credential));
    expect(atLogin.failure).toBe('timeout');
    expect(atLogin.message).toContain('no answer within 300 ms while connecting and logging in');
    const midStep = await failureOf(quick.setCredential(redisTarget(server, 'app', { port: hangsAfterLogin.port }), manager, credential));
    expect(midStep.failure).toBe('timeout');
    expect(midStep.message).toContain('no answer within 300 ms while running a command');
    expect(inspect(midStep, { depth: 10 })).not.toContain(credential.password);
  });

  it('a server without TLS, for a target that requires it, stays silent to the handshake: a timeout that says to check TLS, nothing changed', async () => {
    const quick = new RedisCredentialTarget({ connectMs: 500, statementMs: 1_000 });
    const manager = await createManagingUser(server);
    const app = await createAppUser(server);
    for (const tls of ['require', 'verify-full'] as const) {
      const error = await failureOf(
        quick.setCredential(redisTarget(server, app.username, { tls }), manager, {
          username: app.username,
          password: generateTargetPassword(),
        }),
      );
      expect(error.failure).toBe('timeout');
      expect(error.message).toContain(`If the server does not speak TLS it stays silent to a TLS handshake`);
    }
    expect(await passwordHashes(server, app.username)).toEqual([sha256Hex(app.password)]);
  });

  it('a wrong managing password is managing_refused, names the managing secret, and carries no value', async () => {
    const manager = await createManagingUser(server);
    const app = await createAppUser(server);
    const wrong = { username: manager.username, password: generateTargetPassword() };
    const next = { username: app.username, password: generateTargetPassword() };
    const error = await failureOf(
      targets.setCredential(redisTarget(server, app.username, { managingSecretRef: 'secret/data/redis/manager' }), wrong, next),
    );
    expect(error.failure).toBe('managing_refused');
    expect(error.message).toContain('secret/data/redis/manager');
    const everything = inspect(error, { depth: 10 });
    expect(everything).not.toContain(wrong.password);
    expect(everything).not.toContain(next.password);
  });

  it('a managing user that may not run ACL SETUSER: a preflight problem with the exact fix, and not_privileged when setting, nothing changed', async () => {
    const manager = await createManagingUser(server, ['+acl|whoami']);
    const app = await createAppUser(server);
    const target = redisTarget(server, app.username);
    const report = await targets.preflight(target, manager);
    expect(report.problems).toEqual([
      {
        check: 'managing-privilege',
        message: expect.stringContaining('may not read or change ACL users'),
        fix: `ACL SETUSER ${manager.username} +acl|setuser +acl|getuser +acl|whoami +client|kill`,
      },
    ]);

    const error = await failureOf(targets.setCredential(target, manager, { username: app.username, password: generateTargetPassword() }));
    expect(error.failure).toBe('not_privileged');
    expect(await passwordHashes(server, app.username)).toEqual([sha256Hex(app.password)]);

    await server.command(report.problems[0]?.fix?.split(' ') ?? []);
    expect((await targets.preflight(target, manager)).problems).toEqual([]);
  });

  it('a user that does not exist: a preflight problem, and login_missing when setting (the user is not created)', async () => {
    const manager = await createManagingUser(server);
    const ghost = uniqueUser('ghost');
    const target = redisTarget(server, ghost);
    expect((await targets.preflight(target, manager)).problems.map((problem) => problem.check)).toEqual(['login-exists']);
    const error = await failureOf(targets.setCredential(target, manager, { username: ghost, password: generateTargetPassword() }));
    expect(error.failure).toBe('login_missing');
    expect(await server.command(['ACL', 'GETUSER', ghost])).toBeNull();
  });

  it('warns about a nopass user, an off user, and a managing user that may not close connections; lock-out then says what is left to do', async () => {
    const manager = await createManagingUser(server, ['+acl|setuser', '+acl|getuser', '+acl|whoami']);
    const nopass = uniqueUser('open');
    await server.command(['ACL', 'SETUSER', nopass, 'off', 'nopass', '~*', '+@all']);
    const report = await targets.preflight(redisTarget(server, nopass), manager);
    expect(report.problems).toEqual([]);
    expect(report.warnings.map((warning) => warning.check)).toEqual(['login-enabled', 'login-nopass', 'managing-end-sessions']);

    const app = await createAppUser(server);
    const next = { username: app.username, password: generateTargetPassword() };
    await targets.setCredential(redisTarget(server, app.username), manager, next);
    const error = await failureOf(targets.lockOut(redisTarget(server, app.username), manager, app));
    expect(error.failure).toBe('not_privileged');
    expect(error.message).toContain('no longer accepts the compromised password');
    expect(error.message).toContain(`CLIENT KILL USER ${app.username}`);
    expect(await logsIn(server, app)).toBe(false);
  });
});

describe.runIf(runs)('a Redis without ACL users (the ACL command disabled, as before Redis 6)', () => {
  const server = useRedis({ extraArgs: ['--rename-command', 'ACL', ''] });
  const targets = new RedisCredentialTarget();

  it('preflight reports it, and setting a password is not_ready with the same explanation', async () => {
    const managing = { username: 'default', password: generateTargetPassword() };
    const target = redisTarget(server, 'default');
    const report = await targets.preflight(target, managing);
    expect(report.problems).toEqual([
      { check: 'server-acl', message: expect.stringContaining('has no ACL users'), fix: expect.stringContaining('Redis 6 or later') },
    ]);
    const error = await failureOf(targets.setCredential(target, managing, { username: 'default', password: generateTargetPassword() }));
    expect(error.failure).toBe('not_ready');
    expect(error.message).toContain('has no ACL users');
  });
});
