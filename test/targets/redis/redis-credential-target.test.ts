import { inspect } from 'node:util';
import { createClient } from '@redis/client';
import { describe, expect, it } from 'vitest';
import { RedisCredentialTarget } from '../../../src/targets/redis/redis-credential-target.js';
import { TargetError } from '../../../src/targets/target-error.js';
import { generateTargetPassword } from '../../../src/targets/target-password-generator.js';
import { shouldRunRedisSuite, useRedis } from '../../support/redis.js';
import { createAppUser, createManagingUser, logsIn, passwordHashes, redisTarget, sha256Hex } from '../../support/redis-users.js';

const targets = new RedisCredentialTarget();

async function failureOf(promise: Promise<unknown>): Promise<TargetError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TargetError);
  return error as TargetError;
}

describe.runIf(shouldRunRedisSuite('Redis credential target tests'))('Redis ACL credential target against a real redis-server', () => {
  const server = useRedis();

  it("preflight passes for a managing user with exactly the README's commands; the server version when it may also run INFO", async () => {
    const app = await createAppUser(server);
    const minimal = await createManagingUser(server);
    expect(await targets.preflight(redisTarget(server, app.username), minimal)).toEqual({
      serverVersion: 'unknown',
      problems: [],
      warnings: [],
    });
    const withInfo = await createManagingUser(server, ['+acl|setuser', '+acl|getuser', '+acl|whoami', '+client|kill', '+info']);
    expect(await targets.preflight(redisTarget(server, app.username), withInfo)).toEqual({
      serverVersion: expect.stringMatching(/^\d+\.\d+/),
      problems: [],
      warnings: [],
    });
  });

  it('two-password overlap: the new password is added beside the old, both log in, then the old one is removed and refused', async () => {
    const manager = await createManagingUser(server);
    const app = await createAppUser(server);
    const target = redisTarget(server, app.username);
    const next = { username: app.username, password: generateTargetPassword() };

    await targets.setCredential(target, manager, next);
    await targets.setCredential(target, manager, next);

    expect(await passwordHashes(server, app.username)).toEqual([sha256Hex(app.password), sha256Hex(next.password)].sort());
    expect(await logsIn(server, app)).toBe(true);
    expect(await logsIn(server, next)).toBe(true);
    expect((await targets.verifyLogin(target, next)).latencyMs).toBeGreaterThanOrEqual(0);

    await targets.retire(target, manager, app);
    await targets.retire(target, manager, app);

    expect(await passwordHashes(server, app.username)).toEqual([sha256Hex(next.password)]);
    expect(await logsIn(server, app)).toBe(false);
    expect(await logsIn(server, next)).toBe(true);
    const refused = await failureOf(targets.verifyLogin(target, app));
    expect(refused.failure).toBe('login_refused');
    expect(inspect(refused, { depth: 10 })).not.toContain(app.password);
  });

  it("refuses to remove the user's last password, and to retire without the old value; nothing changes", async () => {
    const manager = await createManagingUser(server);
    const app = await createAppUser(server);
    const target = redisTarget(server, app.username);
    const last = await failureOf(targets.retire(target, manager, app));
    expect(last.failure).toBe('bad_request');
    expect(last.message).toContain('only password');
    const noValue = await failureOf(targets.retire(target, manager, { username: app.username }));
    expect(noValue.failure).toBe('bad_request');
    expect(await logsIn(server, app)).toBe(true);
  });

  it('refuses a user the target does not name', async () => {
    const manager = await createManagingUser(server);
    const app = await createAppUser(server);
    const bystander = await createAppUser(server);
    const error = await failureOf(
      targets.setCredential(redisTarget(server, app.username), manager, {
        username: bystander.username,
        password: generateTargetPassword(),
      }),
    );
    expect(error.failure).toBe('bad_request');
    expect(await passwordHashes(server, bystander.username)).toEqual([sha256Hex(bystander.password)]);
  });

  it("emergency lock-out: the compromised password is removed and the user's connections are closed; the new password still logs in", async () => {
    const manager = await createManagingUser(server);
    const app = await createAppUser(server);
    const target = redisTarget(server, app.username);
    const next = { username: app.username, password: generateTargetPassword() };
    await targets.setCredential(target, manager, next);
    await targets.verifyLogin(target, next);

    const held = createClient({
      socket: { host: server.host, port: server.port, reconnectStrategy: false },
      username: app.username,
      password: app.password,
    });
    held.on('error', () => undefined);
    await held.connect();
    expect(await held.ping()).toBe('PONG');

    const report = await targets.lockOut(target, manager, app);

    expect(report).toMatchObject({ loginRefused: true, sessionsEnded: 1 });
    expect(report.summary).toContain('1 connection closed');
    await expect(held.ping()).rejects.toThrow();
    expect(await logsIn(server, app)).toBe(false);
    expect(await logsIn(server, next)).toBe(true);
    if (held.isOpen) held.destroy();
  });

  it('a wrong password being verified is login_refused and carries no value', async () => {
    const app = await createAppUser(server);
    const wrong = { username: app.username, password: generateTargetPassword() };
    const error = await failureOf(targets.verifyLogin(redisTarget(server, app.username), wrong));
    expect(error.failure).toBe('login_refused');
    expect(error.message).toContain(`user "${app.username}"`);
    expect(inspect(error, { depth: 10 })).not.toContain(wrong.password);
  });
});
