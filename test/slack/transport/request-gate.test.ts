import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AckFirstQueue } from '../../../src/slack/inbound/ack-first-queue.js';
import { gateSignedRequests } from '../../../src/slack/inbound/request-gate.js';
import { SeenSignatureRepo } from '../../../src/slack/inbound/seen-signature-repo.js';
import { InFlightRequests } from '../../../src/slack/middleware/in-flight-requests.js';
import {
  appHomeOpened,
  blockSuggestion,
  buttonClick,
  globalShortcut,
  slashCommand,
  submittedView,
  urlVerification,
  viewSubmission,
  type PayloadContext,
} from '../../support/slack-payloads.js';
import {
  encodeSlackBody,
  generateSlackCredentials,
  postSignedToSlackApp,
  signSlackBody,
  type SlackBody,
} from '../../support/slack-signing.js';
import { openTempStore, type TempStore } from '../../support/temp-db.js';

/** What the gate handed on: the request, and whether the response was the client's own. */
interface Handed {
  req: IncomingMessage;
  res: ServerResponse;
}

/**
 * The HTTP gate in front of Bolt, over a real socket, with an `inner` listener standing in for
 * Bolt that records what it is given and answers only when the response is the client's.
 */
describe('the Slack request gate', () => {
  const ctx: PayloadContext = { teamId: 'T0ROTOR', responseUrl: () => 'http://127.0.0.1:9/respond' };
  const { signingSecret } = generateSlackCredentials();
  let store: TempStore;
  let server: Server;
  let url: string;
  let handed: Handed[];
  let inFlight: InFlightRequests;
  let ackedEarly: WeakSet<IncomingMessage>;
  /** What the reply workers' stand-in does with a request offered to it (none: every request is Bolt's). */
  let offload: ((body: Record<string, unknown>) => Promise<void> | null) | undefined;
  /** Bolt's stand-in writes this to whatever response it is given. */
  const BOLT_ANSWER = '{"response_action":"errors"}';

  beforeEach(async () => {
    store = openTempStore();
    handed = [];
    inFlight = new InFlightRequests();
    ackedEarly = new WeakSet();
    offload = undefined;
    const inner = (req: IncomingMessage, res: ServerResponse) => {
      handed.push({ req, res });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(BOLT_ANSWER);
    };
    const gate = gateSignedRequests(inner, {
      signingSecret,
      endpoint: '/slack/events',
      seen: new SeenSignatureRepo(store.db),
      nowSeconds: () => Math.floor(Date.now() / 1000),
      logger: pino({ level: 'silent' }),
      afterAck: new AckFirstQueue(),
      ackedEarly,
      inFlight,
      offload: (body) => offload?.(body) ?? null,
    });
    server = createServer(gate);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    store.close();
  });

  const post = (body: SlackBody, options: { signature?: string } = {}) => postSignedToSlackApp(url, body, { signingSecret, ...options });

  const emptyAcks: [string, () => SlackBody][] = [
    ['a slash command', () => ({ kind: 'form', fields: slashCommand(ctx, { command: '/secrets', text: 'overdue', userId: 'U1' }) })],
    ['a button click', () => ({ kind: 'payload', payload: buttonClick(ctx, { actionId: 'anything', value: 'x', userId: 'U1' }) })],
    ['a shortcut', () => ({ kind: 'payload', payload: globalShortcut(ctx, { callbackId: 'anything', userId: 'U1' }) })],
    ['an event', () => ({ kind: 'json', json: appHomeOpened(ctx, { userId: 'U1' }) })],
  ];
  for (const [label, body] of emptyAcks) {
    it(`acknowledges ${label} itself with an empty 200, then hands it on with a response the client never sees`, async () => {
      const reply = await post(body());
      expect(reply).toMatchObject({ status: 200, text: '' });
      await inFlight.drained(5_000);
      expect(handed).toHaveLength(1);
      const [{ req, res }] = handed as [Handed];
      expect(ackedEarly.has(req)).toBe(true);
      expect(res.req).toBe(req);
      expect(inFlight.size).toBe(0);
    });
  }

  it('counts a request it offloaded in flight until its reply is done, failed or not, and never hands it to Bolt', async () => {
    const replies: { resolve: () => void; reject: (error: Error) => void }[] = [];
    offload = () => new Promise<void>((resolve, reject) => replies.push({ resolve, reject }));
    expect(await post(command())).toMatchObject({ status: 200, text: '' });
    expect(await post(command())).toMatchObject({ status: 200, text: '' });
    expect(replies).toHaveLength(2);
    expect(inFlight.size).toBe(2);
    replies[0]?.resolve();
    replies[1]?.reject(new Error('the reply worker and the main thread both failed'));
    await inFlight.drained(5_000);
    expect(inFlight.size).toBe(0);
    expect(handed).toHaveLength(0);
  });

  const boltAnswers: [string, () => SlackBody][] = [
    [
      'a view submission (its ack may carry errors or the next view)',
      () => ({
        kind: 'payload',
        payload: viewSubmission(ctx, { userId: 'U1', view: submittedView(ctx, { callbackId: 'anything', values: {} }) }),
      }),
    ],
    [
      'a menu options request',
      () => ({ kind: 'payload', payload: blockSuggestion(ctx, { actionId: 'anything', value: 'ab', userId: 'U1' }) }),
    ],
    ['a URL verification', () => ({ kind: 'json', json: urlVerification() })],
  ];
  for (const [label, body] of boltAnswers) {
    it(`leaves ${label} for Bolt to answer`, async () => {
      const reply = await post(body());
      expect(reply).toMatchObject({ status: 200, text: BOLT_ANSWER });
      expect(handed).toHaveLength(1);
      expect(ackedEarly.has((handed[0] as Handed).req)).toBe(false);
    });
  }

  const command = () => emptyAcks[0]?.[1]() as SlackBody;

  it('refuses with 401, and hands nothing on, a request with a wrong signature, one with a suffix after the right one, or none', async () => {
    const { rawBody } = encodeSlackBody(command());
    const timestamp = Math.floor(Date.now() / 1000);
    const right = signSlackBody(signingSecret, rawBody, timestamp);
    for (const signature of [`v0=${'0'.repeat(64)}`, `${right}=x`, right.toUpperCase(), right.replace('v0=', 'v1=')]) {
      expect((await postSignedToSlackApp(url, command(), { signingSecret, timestamp, signature })).status).toBe(401);
    }
    const unsigned = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: rawBody });
    expect(unsigned.status).toBe(401);
    expect(handed).toEqual([]);
  });

  it("hands Slack's unsigned SSL check to Bolt, which answers it", async () => {
    const reply = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'ssl_check=1&token=x',
    });
    expect(await reply.text()).toBe(BOLT_ANSWER);
    expect(handed).toHaveLength(1);
  });

  it('leaves a command near the end of the five-minute window for Bolt to acknowledge, since Bolt checks the time again when its turn comes', async () => {
    const reply = await postSignedToSlackApp(url, command(), { signingSecret, timestamp: Math.floor(Date.now() / 1000) - 290 });
    expect(reply.text).toBe(BOLT_ANSWER);
    expect(ackedEarly.has((handed[0] as Handed).req)).toBe(false);
  });

  it('leaves a form body Bolt would not read as a form (another content type) for Bolt to answer', async () => {
    const { rawBody } = encodeSlackBody(command());
    const timestamp = Math.floor(Date.now() / 1000);
    const reply = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
        'X-Slack-Request-Timestamp': String(timestamp),
        'X-Slack-Signature': signSlackBody(signingSecret, rawBody, timestamp),
      },
      body: rawBody,
    });
    expect(await reply.text()).toBe(BOLT_ANSWER);
    expect(ackedEarly.has((handed[0] as Handed).req)).toBe(false);
  });
});
