import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyPool } from '../../../src/slack/replies/reply-pool.js';
import { importOwnedSecret } from '../../support/owned-secret.js';
import { responseIdOf, startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';

/** A response_url endpoint of the test's own: it records every reply, and holds the first one unanswered until the test lets it go. */
class HoldingResponseUrl {
  readonly bodies: Record<string, unknown>[] = [];
  private readonly server: Server;
  private readonly arrivals: ((count: number) => void)[] = [];

  constructor() {
    this.server = createServer((req, res) => void this.receive(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/respond/held`;
  }

  /** Resolves once `count` replies have arrived. */
  arrived(count: number): Promise<void> {
    if (this.bodies.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.arrivals.push((now) => now >= count && resolve()));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
    for (const tell of this.arrivals) tell(this.bodies.length);
    // The first is left unanswered: its sender waits until it dies or the endpoint closes.
    if (this.bodies.length === 1) return;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"ok":true}');
  }
}

function poolOf(harness: SlackHarness): ReplyPool {
  const pool = harness.runtime.replyPool;
  if (!pool) throw new Error('the bot runs without reply workers');
  return pool;
}

/** Waits (bounded by the test's timeout) until the pool runs a worker other than `gone`. */
async function replacedWorker(pool: ReplyPool, gone: number): Promise<number> {
  for (;;) {
    const thread = pool.threads[0];
    if (pool.threads.length === 1 && thread && thread.threadId !== gone) return thread.threadId;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('read-only replies made by a reply worker, through the real app', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({ env: { ROTOR_REPLY_WORKERS: '1' } });
    importOwnedSecret(harness.store);
  });
  afterAll(async () => harness.close());

  it('answers /secrets overdue from the worker, past Bolt', async () => {
    const reply = await harness.command('/secrets', 'overdue', 'U0SEC');
    expect(reply.status).toBe(200);
    const id = responseIdOf(reply.responseUrl);
    const message = (await harness.fake.waitForResponse((response) => response.id === id)).body;
    expect(JSON.stringify(message.blocks)).toContain('prod/billing/webhook_token');
    const handled = await harness.waitForLog((line) => line.msg === 'slack request handled' && line.name === '/secrets overdue');
    expect(handled).toMatchObject({ outcome: 'ok', replyWorker: true });
  });

  it('replaces a worker killed in the middle of a reply, and the reply is still delivered', async () => {
    const endpoint = new HoldingResponseUrl();
    const url = await endpoint.start();
    try {
      // A reply of its own first, so a worker runs whether or not an earlier test left one alive.
      const first = await harness.command('/secrets', 'overdue', 'U0SEC');
      const firstId = responseIdOf(first.responseUrl);
      await harness.fake.waitForResponse((response) => response.id === firstId);
      const pool = poolOf(harness);
      const worker = pool.threads[0];
      if (!worker) throw new Error('no reply worker is running');
      const reply = await harness.command('/secrets', 'overdue', 'U0SEC', { responseUrl: url });
      expect(reply.status).toBe(200);
      // The worker has made the reply and is waiting on its POST: it dies there.
      await endpoint.arrived(1);
      await worker.terminate();
      await endpoint.arrived(2);
      const delivered = endpoint.bodies[1] as { response_type?: string; blocks?: unknown };
      expect(delivered.response_type).toBe('ephemeral');
      expect(JSON.stringify(delivered.blocks)).toContain('prod/billing/webhook_token');
      await harness.waitForLog(
        (line) => line.msg === 'a reply worker stopped; replaced, and its unanswered replies made on the main thread',
      );

      // The replacement answers the next request.
      await replacedWorker(pool, worker.threadId);
      const next = await harness.command('/secrets', 'show prod/billing/webhook_token', 'U0SEC');
      const id = responseIdOf(next.responseUrl);
      const shown = (await harness.fake.waitForResponse((response) => response.id === id)).body;
      expect(JSON.stringify(shown.blocks)).toContain('<@U0PAY>');
    } finally {
      await endpoint.close();
    }
  });

  it('tells the person when a read fails, from the worker', async () => {
    const reply = await harness.command('/secrets', 'show prod/billing/webhook_tokn', 'U0SEC');
    const id = responseIdOf(reply.responseUrl);
    const message = (await harness.fake.waitForResponse((response) => response.id === id)).body;
    expect(message.text).toContain('No secret named `prod/billing/webhook_tokn`');
    expect(message.text).toContain('Did you mean: prod/billing/webhook_token');
  });
});

describe('reply workers by default', () => {
  it('HTTP mode with ROTOR_REPLY_WORKERS unset makes the read-only replies in a worker', async () => {
    const harness = await startSlackHarness();
    try {
      const reply = await harness.command('/secrets', 'overdue', 'U0SEC');
      const id = responseIdOf(reply.responseUrl);
      const message = (await harness.fake.waitForResponse((response) => response.id === id)).body;
      expect(message.text).toBeTruthy();
      const handled = await harness.waitForLog((line) => line.msg === 'slack request handled' && line.name === '/secrets overdue');
      expect(handled).toMatchObject({ outcome: 'ok', replyWorker: true });
      // A worker starts at the first reply (none runs before), and stays a while for the next.
      expect(poolOf(harness).threads.length).toBeGreaterThanOrEqual(1);
    } finally {
      await harness.close();
    }
  });
});
