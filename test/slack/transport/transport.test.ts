import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotTables } from '../../support/temp-db.js';
import { startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';
import { appHomeOpened, slashCommand, urlVerification } from '../../support/slack-payloads.js';
import { signSlackBody } from '../../support/slack-signing.js';
import { operator } from '../../support/actors.js';

describe('Slack transport: signatures, retries, health and metrics', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z' });
    harness.store.inventoryService.create(
      { name: 'prod/postgres/connection_string', owner: 'U0DBA', lastRotated: '2026-07-01' },
      operator('U0ADMIN'),
      'test-seed',
    );
  });
  afterAll(async () => harness.close());

  /** Calls other than the auth.test Bolt makes on its own at construction. */
  const handledCalls = () => harness.fake.calls.filter((call) => call.method !== 'auth.test').length;

  const ownerCommand = () =>
    slashCommand(harness.payloads, { command: '/secrets', text: 'owner prod/postgres/connection_string <@U0SEC|sec>', userId: 'U0ADMIN' });

  it('rejects a bad signature with 401 and handles nothing', async () => {
    harness.fake.addUser('U0SEC');
    const before = snapshotTables(harness.store);
    const callsBefore = handledCalls();
    const body = ownerCommand();
    const reply = await harness.post(
      { kind: 'form', fields: body },
      { signature: signSlackBody('not-the-signing-secret', 'x', Math.floor(Date.now() / 1000)) },
    );
    expect(reply.status).toBe(401);
    expect(handledCalls()).toBe(callsBefore);
    expect(harness.fake.responses.filter((response) => body.response_url.endsWith(`/${response.id}`))).toEqual([]);
    expect(snapshotTables(harness.store)).toEqual(before);
  });

  it('rejects a correctly signed but stale request (over 5 minutes old) with 401 and handles nothing', async () => {
    const before = snapshotTables(harness.store);
    const callsBefore = handledCalls();
    const reply = await harness.post({ kind: 'form', fields: ownerCommand() }, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(reply.status).toBe(401);
    expect(handledCalls()).toBe(callsBefore);
    expect(snapshotTables(harness.store)).toEqual(before);
  });

  it('rejects a body altered after signing', async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signSlackBody(harness.signingSecret, new URLSearchParams(ownerCommand()).toString(), timestamp);
    const reply = await harness.post({ kind: 'form', fields: { ...ownerCommand(), user_id: 'U0EVIL' } }, { timestamp, signature });
    expect(reply.status).toBe(401);
  });

  it('answers url_verification with the challenge', async () => {
    const challenge = urlVerification();
    const reply = await harness.post({ kind: 'json', json: challenge });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ challenge: challenge.challenge });
  });

  it('handles a replayed delivery (same event, X-Slack-Retry-Num) once', async () => {
    const event = appHomeOpened(harness.payloads, { userId: 'U0DBA' });
    const first = await harness.post({ kind: 'json', json: event });
    expect(first.status).toBe(200);
    await harness.fake.waitForCall('views.publish', (call) => call.args.user_id === 'U0DBA');
    const retry = await harness.post({ kind: 'json', json: event }, { retryNum: 1, retryReason: 'http_timeout' });
    const again = await harness.post({ kind: 'json', json: event }, { retryNum: 2, retryReason: 'http_timeout' });
    expect([retry.status, again.status]).toEqual([200, 200]);
    await harness.waitForLog((line) => line.msg === 'slack retry acknowledged without reprocessing' && line.retryNum === 2);
    expect(harness.fake.callsTo('views.publish').filter((call) => call.args.user_id === 'U0DBA')).toHaveLength(1);
  });

  it('acknowledges a retried command without running it again', async () => {
    const before = snapshotTables(harness.store);
    const reply = await harness.post({ kind: 'form', fields: ownerCommand() }, { retryNum: 1, retryReason: 'http_timeout' });
    expect(reply.status).toBe(200);
    await harness.waitForLog(
      (line) => line.msg === 'slack retry acknowledged without reprocessing' && line.retryNum === 1 && line !== undefined,
    );
    expect(harness.fake.callsTo('users.info')).toHaveLength(0);
    expect(snapshotTables(harness.store)).toEqual(before);
  });

  it('GET /healthz answers 200 with JSON while the database answers', async () => {
    const response = await fetch(`${harness.baseUrl}/healthz`);
    expect(response.status).toBe(200);
    const at = harness.store.clock.now().toUTC().toISO();
    expect(await response.json()).toEqual({
      status: 'ok',
      database: 'ok',
      slack: 'ok',
      reminders: 'ok',
      lastSuccessfulSweep: at,
      followUps: 'ok',
      lastSuccessfulFollowUpSweep: at,
      evidenceArchive: {
        state: 'not_configured',
        detail: 'no evidence_archive in the policy: rotation and incident evidence is not archived',
      },
    });
  });

  it('GET /metrics serves Prometheus text with inventory gauges and the shared counters', async () => {
    const response = await fetch(`${harness.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('rotor_secrets{status="overdue"} 1');
    expect(text).toContain('rotor_secrets_overdue 1');
    for (const name of ['rotor_reminders_sent_total', 'rotor_rotations_completed_total', 'rotor_slack_api_errors_total'])
      expect(text).toContain(`# TYPE ${name} counter`);
  });

  it('counts Slack API errors by method and code', async () => {
    harness.fake.script('views.publish', { error: 'invalid_blocks' });
    await harness.openHome('U0ERR');
    await harness.fake.waitForCall('views.publish', (call) => call.args.user_id === 'U0ERR');
    await harness.waitForLog((line) => line.msg === 'slack request handled' && line.user === 'U0ERR');
    const text = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    expect(text).toContain('rotor_slack_api_errors_total{method="views.publish",error="invalid_blocks"} 1');
  });
});

describe('graceful shutdown', () => {
  it('stops taking requests, lets the running handler finish its work, then closes the database', async () => {
    const harness = await startSlackHarness({ at: '2026-11-22T10:00:00Z' });
    try {
      harness.store.inventoryService.create({ name: 'prod/redis/password', owner: 'U0OPS' }, operator('U0ADMIN'), 'test-seed');
      harness.fake.addUser('U0NEXT');
      harness.fake.script('users.info', { delayMs: 300 });
      const reply = await harness.command('/secrets', 'owner prod/redis/password <@U0NEXT|next>', 'U0OPS');
      expect(reply.status).toBe(200);
      await harness.fake.waitForCall('users.info');
      await harness.runtime.stop();
      expect(harness.store.inventory.get('prod/redis/password')?.owner).toBe('U0NEXT');
      expect(harness.fake.responses.some((response) => reply.responseUrl.endsWith(`/${response.id}`))).toBe(true);
      await expect(fetch(`${harness.baseUrl}/healthz`)).rejects.toThrow();
    } finally {
      await harness.close();
    }
  });
});
