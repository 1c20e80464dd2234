import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBotEnv } from '../../../src/config/env.js';
import { createLogger } from '../../../src/logging/logger.js';
import { startRotor, type RotorRuntime } from '../../../src/main.js';
import { FakeSlackApi } from '../../fakes/fake-slack-api.js';
import { generateSlackCredentials } from '../../support/slack-signing.js';
import { openTempStore, type TempStore } from '../../support/temp-db.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Asks `url` until `accept` likes the answer (the server may not be listening yet). */
async function pollUntil(
  url: string,
  accept: (status: number, body: Record<string, unknown>) => boolean,
  timeoutMs = 10_000,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      const body = (await response.json()) as Record<string, unknown>;
      if (accept(response.status, body)) return { status: response.status, body };
      last = `${response.status} ${JSON.stringify(body)}`;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${url} never gave the expected answer; last: ${last}`);
}

describe('start-up while Slack cannot be reached', () => {
  const fake = new FakeSlackApi();
  let store: TempStore | undefined;
  let runtime: RotorRuntime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    await fake.close();
    store?.close();
  });

  it('answers /healthz at once, 503 with slack "unreachable", retries auth.test with backoff on one line each, then runs', async () => {
    await fake.start();
    store = openTempStore();
    // Slack answers 503 until the test lets it through.
    fake.script('auth.test', ...Array.from({ length: 1000 }, () => ({ httpStatus: 503 })));
    const credentials = generateSlackCredentials();
    const port = await freePort();
    const env = loadBotEnv({
      SLACK_BOT_TOKEN: credentials.botToken,
      SLACK_SIGNING_SECRET: credentials.signingSecret,
      SLACK_API_URL: fake.apiUrl,
      ROTOR_DB: store.path,
      ROTOR_REMINDER_CRON: '0 0 29 2 *',
      ROTOR_FOLLOW_UP_CRON: '0 0 29 2 *',
    });
    let log = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString('utf8');
        done();
      },
    });
    const starting = startRotor(
      { ...env, PORT: port },
      {
        logger: createLogger('info', sink),
        clock: store.clock,
        host: '127.0.0.1',
        slackStartupRetry: { firstDelayMs: 20, longestDelayMs: 80 },
      },
    );
    starting.catch(() => undefined);

    const unreachable = await pollUntil(
      `http://127.0.0.1:${port}/healthz`,
      (_status, body) => body.slack === 'unreachable' && fake.callsTo('auth.test').length >= 3,
    );
    expect(unreachable.status).toBe(503);
    expect(unreachable.body).toMatchObject({ status: 'unavailable', database: 'ok', slack: 'unreachable' });
    // Slack's own requests are turned away (Slack retries events) until the token is verified.
    expect((await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body: '{}' })).status).toBe(503);

    fake.clearScript('auth.test');
    runtime = await starting;
    expect(runtime.port).toBe(port);
    const healthy = await pollUntil(`http://127.0.0.1:${port}/healthz`, (status) => status === 200);
    expect(healthy.body).toMatchObject({ status: 'ok', slack: 'ok' });

    const lines = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const waits = lines.filter((line) => line.msg === 'Slack cannot be reached to verify SLACK_BOT_TOKEN; retrying');
    expect(waits.length).toBeGreaterThanOrEqual(3);
    expect(waits[0]).toMatchObject({ attempt: 1, reason: 'http_503', retryInSeconds: 0.02 });
    expect(waits.slice(0, 3).map((line) => line.retryInSeconds)).toEqual([0.02, 0.04, 0.08]);
    // One line per attempt, never a stack trace.
    expect(log).not.toMatch(/"stack"|\n\s+at /);
    expect(lines.some((line) => line.msg === 'Rotor is running')).toBe(true);
  });
});
