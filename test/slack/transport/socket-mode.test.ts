import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBotEnv } from '../../../src/config/env.js';
import { createLogger } from '../../../src/logging/logger.js';
import { startRotor, type RotorRuntime } from '../../../src/main.js';
import { FakeSlackApi } from '../../fakes/fake-slack-api.js';
import { FakeSocketMode } from '../../fakes/fake-socket-mode.js';
import { appHomeOpened, slashCommand } from '../../support/slack-payloads.js';
import { generateSlackCredentials } from '../../support/slack-signing.js';
import { openTempStore, type TempStore } from '../../support/temp-db.js';
import { operator } from '../../support/actors.js';

describe('Socket Mode (SLACK_APP_TOKEN set)', () => {
  const fake = new FakeSlackApi();
  let socket: FakeSocketMode;
  let store: TempStore;
  let runtime: RotorRuntime;

  beforeAll(async () => {
    await fake.start();
    socket = new FakeSocketMode(fake);
    store = openTempStore({ at: '2026-11-22T10:00:00Z' });
    store.inventoryService.create(
      { name: 'prod/postgres/connection_string', owner: 'U0DBA', lastRotated: '2026-07-01' },
      operator('U0ADMIN'),
      'test-seed',
    );
    const credentials = generateSlackCredentials();
    const env = loadBotEnv({
      SLACK_BOT_TOKEN: credentials.botToken,
      SLACK_SIGNING_SECRET: credentials.signingSecret,
      SLACK_APP_TOKEN: credentials.appToken,
      SLACK_API_URL: fake.apiUrl,
      ROTOR_DB: store.path,
    });
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    runtime = await startRotor(
      { ...env, PORT: 0 },
      {
        logger: createLogger('info', quiet),
        clock: store.clock,
        host: '127.0.0.1',
        retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 10 },
      },
    );
    await socket.connected();
  });

  afterAll(async () => {
    await runtime.stop();
    socket.close();
    await fake.close();
    store.close();
  });

  it('opens the socket with the app-level token', () => {
    expect(runtime.mode).toBe('socket');
    const open = fake.callsTo('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0]?.token).toMatch(/^xapp-/);
  });

  it('acks a slash command envelope over the socket and answers through the response_url', async () => {
    // The owner asks: with no policy file, reads are restricted and nobody holds a role.
    const command = slashCommand(
      { teamId: fake.teamId, responseUrl: () => fake.newResponseUrl() },
      { command: '/secrets', text: 'overdue', userId: 'U0DBA' },
    );
    const ack = await socket.push('slash_commands', command);
    expect(ack.envelopeId).toBeTruthy();
    const id = command.response_url.slice(command.response_url.lastIndexOf('/') + 1);
    const response = await fake.waitForResponse((posted) => posted.id === id);
    expect(JSON.stringify(response.body.blocks)).toContain('prod/postgres/connection_string');
  });

  it('handles events_api envelopes, and a retried one only once', async () => {
    const event = appHomeOpened({ teamId: fake.teamId, responseUrl: () => fake.newResponseUrl() }, { userId: 'U0DBA' });
    await socket.push('events_api', event);
    await fake.waitForCall('views.publish', (call) => call.args.user_id === 'U0DBA');
    await socket.push('events_api', event, 1);
    await socket.push(
      'events_api',
      appHomeOpened({ teamId: fake.teamId, responseUrl: () => fake.newResponseUrl() }, { userId: 'U0OTHER' }),
    );
    await fake.waitForCall('views.publish', (call) => call.args.user_id === 'U0OTHER');
    expect(fake.callsTo('views.publish').filter((call) => call.args.user_id === 'U0DBA')).toHaveLength(1);
  });

  it('still serves /healthz and /metrics over HTTP on 127.0.0.1', async () => {
    const health = await fetch(`http://127.0.0.1:${runtime.port}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${runtime.port}/metrics`);
    expect(await metrics.text()).toContain('rotor_secrets_overdue 1');
    expect((await fetch(`http://127.0.0.1:${runtime.port}/slack/events`, { method: 'POST' })).status).toBe(404);
  });
});
