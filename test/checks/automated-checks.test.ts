import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { runChecks, type CheckContext } from '../../src/checks/check-runner.js';
import type { CheckSpec } from '../../src/checks/check-spec.js';
import { parsePolicy } from '../../src/config/policy.js';
import { RedisCredentialTarget } from '../../src/targets/redis/redis-credential-target.js';
import type { RedisAclUserTarget } from '../../src/targets/target-description.js';
import { startHealthServer, type HealthServer } from '../support/health-server.js';
import { shouldRunRedisSuite, useRedis } from '../support/redis.js';
import { createAppUser, uniqueUser } from '../support/redis-users.js';
import { startSilentServer, type SilentServer } from '../support/silent-server.js';

const AT = new Date(0).toISOString();

function context(): CheckContext {
  return {
    at: AT,
    attempt: 1,
    step: 'verify',
    withLogin: () => Promise.reject(new Error('no login in an HTTP check')),
    verifyLogin: () => Promise.reject(new Error('no login in an HTTP check')),
  };
}

function http(url: string, timeoutSeconds = 5): CheckSpec {
  return { kind: 'http', name: null, consumer: 'checkout', url, expectStatus: 200, timeoutSeconds };
}

describe('HTTP checks against a local server', () => {
  const servers: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  async function health(): Promise<HealthServer> {
    const server = await startHealthServer();
    servers.push(server);
    return server;
  }

  it('a 200 passes with its latency; another status fails, saying what it answered and what was expected', async () => {
    const server = await health();
    const [passed] = await runChecks([http(server.url)], context());
    expect(passed).toMatchObject({ outcome: 'passed', where: server.url, detail: 'answered 200', at: AT, attempt: 1, step: 'verify' });
    expect(passed?.what).toContain('(checkout)');
    expect(typeof passed?.latencyMs).toBe('number');
    server.status = 503;
    const [failed] = await runChecks([http(server.url)], context());
    expect(failed).toMatchObject({ outcome: 'failed', detail: 'answered 503, expected 200' });
    expect(server.requests).toEqual(['GET /api/health', 'GET /api/health']);
  });

  it('a server that accepts and never answers times out with a clear answer', async () => {
    const silent: SilentServer = await startSilentServer();
    servers.push(silent);
    const [timedOut] = await runChecks([http(`http://127.0.0.1:${silent.port}/api/health`, 1)], context());
    expect(timedOut).toMatchObject({ outcome: 'failed', latencyMs: null, detail: 'no answer within 1 s (timed out)' });
  });

  it('a port nobody listens on fails with the network cause', async () => {
    const silent = await startSilentServer();
    const port = silent.port;
    await silent.stop();
    const [refused] = await runChecks([http(`http://127.0.0.1:${port}/api/health`)], context());
    expect(refused).toMatchObject({ outcome: 'failed', detail: 'could not be reached: ECONNREFUSED' });
  });
});

describe('the policy key `checks`', () => {
  it('reads HTTP, PostgreSQL and Redis checks by secret and by type, with their defaults', () => {
    const policy = parsePolicy(`
checks:
  by_secret:
    prod/app/db_password:
      - { http: "https://app.internal/api/health", consumer: checkout }
      - { postgres: { host: db.internal, dbname: app } }
  by_type:
    redis:
      - { redis: { host: cache.internal, tls: disable }, timeout_seconds: 3 }
`);
    expect(policy.checks.bySecret['prod/app/db_password']).toEqual([
      { kind: 'http', name: null, consumer: 'checkout', url: 'https://app.internal/api/health', expectStatus: 200, timeoutSeconds: 10 },
      {
        kind: 'postgres',
        name: null,
        consumer: null,
        host: 'db.internal',
        port: 5432,
        database: 'app',
        tls: 'require',
        timeoutSeconds: 10,
      },
    ]);
    expect(policy.checks.byType.redis).toEqual([
      { kind: 'redis', name: null, consumer: null, host: 'cache.internal', port: 6379, tls: 'disable', timeoutSeconds: 3 },
    ]);
  });

  it('refuses a URL carrying a password or a query token, without repeating it', () => {
    const token = randomBytes(12).toString('hex');
    for (const url of [`https://ops:${token}@app.internal/api/health`, `https://app.internal/api/health?token=${token}`]) {
      let message = '';
      try {
        parsePolicy(`checks:\n  by_secret:\n    prod/app/db_password:\n      - { http: "${url}" }\n`);
      } catch (error) {
        message = JSON.stringify(error, Object.getOwnPropertyNames(error));
      }
      expect(message).toMatch(/must not carry/);
      expect(message).not.toContain(token);
    }
  });

  it('refuses a non-HTTP URL and an unknown key', () => {
    const issues = (text: string) => {
      try {
        parsePolicy(text);
      } catch (error) {
        return JSON.stringify((error as { issues?: unknown }).issues);
      }
      return 'accepted';
    };
    expect(issues('checks:\n  by_secret:\n    a/b/c:\n      - { http: "ftp://host/x" }\n')).toContain('must be an http:// or https:// URL');
    expect(issues('checks:\n  by_type:\n    redis:\n      - { htp: "https://host/x" }\n')).toContain('htp');
    expect(issues('checks:\n  by_type:\n    redis:\n      - { name: health }\n')).toContain('give exactly one of http');
    expect(() => parsePolicy('checks:\n  by_consumer: {}\n')).toThrow();
  });
});

describe.runIf(shouldRunRedisSuite('Redis PING checks'))('a Redis check against a real redis-server', () => {
  const server = useRedis();

  function redisContext(credential: { username: string; password: string }): CheckContext {
    const target = new RedisCredentialTarget();
    return {
      ...context(),
      withLogin: (use) => use(credential),
      verifyLogin: (where, login) => target.verifyLogin(where as RedisAclUserTarget, login),
    };
  }

  it('AUTH and PING with the new credential pass with a latency; a wrong password fails without the value in the answer', async () => {
    const app = await createAppUser(server, uniqueUser('check'));
    const spec: CheckSpec = {
      kind: 'redis',
      name: null,
      consumer: null,
      host: server.host,
      port: server.port,
      tls: 'disable',
      timeoutSeconds: 5,
    };
    const [passed] = await runChecks([spec], redisContext(app));
    expect(passed).toMatchObject({ outcome: 'passed', where: `Redis ${server.host}:${server.port}`, detail: 'AUTH accepted, PONG' });
    expect(typeof passed?.latencyMs).toBe('number');
    const wrong = { username: app.username, password: randomBytes(16).toString('hex') };
    const [failed] = await runChecks([spec], redisContext(wrong));
    expect(failed?.outcome).toBe('failed');
    expect(JSON.stringify(failed)).not.toContain(wrong.password);
    expect(JSON.stringify([passed, failed])).not.toContain(app.password);
  });
});
