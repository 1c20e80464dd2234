import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBotEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/logging/logger.js';
import { startRotor, type RotorRuntime } from '../../src/main.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { generateSlackCredentials } from '../support/slack-signing.js';
import { startSlackHarness, type SlackHarness } from '../support/slack-app-harness.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

describe('GET /metrics with ROTOR_METRICS_TOKEN set', () => {
  const token = randomBytes(16).toString('hex');
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ env: { ROTOR_METRICS_TOKEN: token } });
  });
  afterAll(async () => harness.close());

  it('answers 401 without the bearer token or with a wrong one, and the metrics with it; /healthz stays open', async () => {
    const metrics = (authorization?: string) => fetch(`${harness.baseUrl}/metrics`, authorization ? { headers: { authorization } } : {});
    for (const wrong of [undefined, `Bearer ${token.slice(1)}`, `Basic ${token}`, token, `Bearer ${token}x`]) {
      const response = await metrics(wrong);
      expect({ wrong, status: response.status }).toEqual({ wrong, status: 401 });
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.text()).not.toContain('rotor_');
    }
    const ok = await metrics(`Bearer ${token}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('rotor_secrets_overdue');
    expect((await fetch(`${harness.baseUrl}/healthz`)).status).toBe(200);
  });

  it('is refused at start-up when shorter than 16 characters', () => {
    expect(() => loadBotEnv({ SLACK_BOT_TOKEN: ['xoxb', '1'].join('-'), SLACK_SIGNING_SECRET: 'x', ROTOR_METRICS_TOKEN: 'short' })).toThrow(
      /ROTOR_METRICS_TOKEN must be at least 16 characters/,
    );
  });
});

describe('HOST', () => {
  const fake = new FakeSlackApi();
  let store: TempStore;
  let runtime: RotorRuntime;
  let log = '';

  beforeAll(async () => {
    await fake.start();
    store = openTempStore();
    const credentials = generateSlackCredentials();
    const env = loadBotEnv({
      SLACK_BOT_TOKEN: credentials.botToken,
      SLACK_SIGNING_SECRET: credentials.signingSecret,
      SLACK_API_URL: fake.apiUrl,
      ROTOR_DB: store.path,
      HOST: '127.0.0.1',
      ROTOR_REMINDER_CRON: '0 0 29 2 *',
    });
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => ((log += chunk.toString()), done()) });
    runtime = await startRotor(
      { ...env, PORT: 0 },
      { logger: createLogger('info', sink), clock: store.clock, retryConfig: { retries: 0 } },
    );
  });
  afterAll(async () => {
    await runtime.stop();
    await fake.close();
    store.close();
  });

  const reachable = (host: string) =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host, port: runtime.port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });

  it('binds the address it names instead of every interface', async () => {
    expect(log).toMatch(/"host":"127\.0\.0\.1".*"msg":"Rotor is running"/);
    expect(await reachable('127.0.0.1')).toBe(true);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
    if (external) expect(await reachable(external)).toBe(false);
  });

  it('is refused when it is not an address', () => {
    expect(() => loadBotEnv({ SLACK_BOT_TOKEN: ['xoxb', '1'].join('-'), SLACK_SIGNING_SECRET: 'x', HOST: 'http://0.0.0.0/' })).toThrow(
      /HOST must be an address or host name/,
    );
  });
});
