import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postToResponseUrl, ResponseUrlError, type ResponseUrlDelivery } from '../../../src/slack/outbound/response-url.js';
import { INTERNAL_ERROR_MESSAGE } from '../../../src/slack/views/rotor-error-message.js';
import { textMessage } from '../../../src/slack/views/slack-message.js';
import { FakeSlackApi } from '../../fakes/fake-slack-api.js';
import { importOwnedSecret } from '../../support/owned-secret.js';
import { responseIdOf, startSlackHarness, type SlackHarness } from '../../support/slack-app-harness.js';

/**
 * A reply POSTed to a response_url that fails on the network (a reset connection, a 5xx, a 429
 * with Retry-After) is tried again; one that never answers is given up on after a few seconds and
 * tried again, so it holds the reply worker's slot no longer (issue 25).
 */
/** Security leads, who read the whole inventory: one per request, so each request's log line is told apart. */
const READERS = ['U0LEAD1', 'U0LEAD2', 'U0LEAD3', 'U0LEAD4', 'U0LEAD5', 'U0LEAD6', 'U0LEAD7', 'U0LEAD8'] as const;

describe('a read-only reply whose response_url fails at first, through the real app and its reply worker', () => {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness({
      env: { ROTOR_REPLY_WORKERS: '1' },
      policy: `environments: [prod, staging, dev]\nroles:\n  security_leads: [${READERS.join(', ')}]\n`,
    });
    importOwnedSecret(harness.store);
  });
  afterAll(async () => harness.close());

  /** Runs `/secrets overdue` for `user`; resolves with its reply as delivered and the request's log line. */
  const overdueFor = async (user: string, waitMs = 10_000) => {
    const reply = await harness.command('/secrets', 'overdue', user);
    expect(reply.status).toBe(200);
    const id = responseIdOf(reply.responseUrl);
    const delivered = (await harness.fake.waitForResponse((response) => response.id === id, waitMs)).body;
    const handled = await harness.waitForLog((line) => line.msg === 'slack request handled' && line.user === user, waitMs);
    return { delivered, handled };
  };

  it.each([
    ['a 503', { httpStatus: 503 }, READERS[0]],
    ['a 429 with Retry-After', { rateLimitedForSeconds: 1 }, READERS[1]],
    ['a reset connection', { reset: true }, READERS[2]],
  ] as const)('%s, then ok: the reply still arrives', async (_what, failure, user) => {
    const before = harness.fake.responseAttempts;
    harness.fake.scriptResponses(failure);
    const { delivered, handled } = await overdueFor(user);
    expect(JSON.stringify(delivered.blocks)).toContain('prod/billing/webhook_token');
    expect(harness.fake.responseAttempts - before).toBe(2);
    expect(handled).toMatchObject({ outcome: 'ok', replyWorker: true });
  });

  it('a response_url that does not answer: given up on, tried again, the reply arrives and the worker takes the next', async () => {
    harness.fake.scriptResponses({ hang: true });
    const { delivered, handled } = await overdueFor(READERS[3], 15_000);
    expect(JSON.stringify(delivered.blocks)).toContain('prod/billing/webhook_token');
    expect(handled).toMatchObject({ outcome: 'ok', replyWorker: true });
    const next = await overdueFor(READERS[4]);
    expect(next.handled).toMatchObject({ outcome: 'ok', replyWorker: true });
  });

  it('a 400 (Slack refuses the message itself, not the URL): the person is told by the apology, and the failure is logged', async () => {
    const before = harness.fake.responseAttempts;
    harness.fake.scriptResponses({ httpStatus: 400 });
    const { delivered, handled } = await overdueFor(READERS[5]);
    expect(delivered).toEqual({ response_type: 'ephemeral', replace_original: false, ...INTERNAL_ERROR_MESSAGE });
    expect(harness.fake.responseAttempts - before).toBe(2);
    expect(handled).toMatchObject({ outcome: 'error', replyWorker: true });
    const failed = harness.logLines.find(
      (line) =>
        line.msg === 'a read-only reply failed' && (line.err as { message?: unknown })?.message === 'response_url answered HTTP 400',
    );
    expect(failed).toMatchObject({ told: true });
  });

  it('a 429 asking to wait 60 s: not waited for nor tried again, no apology to the rate-limited URL, logged with the wait asked', async () => {
    const before = harness.fake.responseAttempts;
    harness.fake.scriptResponses({ rateLimitedForSeconds: 60 });
    const reply = await harness.command('/secrets', 'overdue', READERS[6]);
    expect(reply.status).toBe(200);
    const handled = await harness.waitForLog((line) => line.msg === 'slack request handled' && line.user === READERS[6], 10_000);
    expect(handled).toMatchObject({ outcome: 'error', replyWorker: true });
    expect(harness.fake.responseAttempts - before).toBe(1);
    const failed = harness.logLines.find(
      (line) =>
        line.msg === 'a read-only reply failed' &&
        (line.err as { message?: unknown })?.message === 'response_url answered HTTP 429, and asked to wait 60 s (1 attempt)',
    );
    expect(failed).toMatchObject({ told: false });
  });

  it("a reply refused after two 5xx, whose apology meets 5xx too: five POSTs in all, Slack's limit for one response_url", async () => {
    const before = harness.fake.responseAttempts;
    harness.fake.scriptResponses({ httpStatus: 503 }, { httpStatus: 503 }, { httpStatus: 400 }, { httpStatus: 503 }, { httpStatus: 503 });
    const reply = await harness.command('/secrets', 'overdue', READERS[7]);
    expect(reply.status).toBe(200);
    const handled = await harness.waitForLog((line) => line.msg === 'slack request handled' && line.user === READERS[7], 15_000);
    expect(handled).toMatchObject({ outcome: 'error', replyWorker: true });
    expect(harness.fake.responseAttempts - before).toBe(5);
    // The latest such line: the 400 above logged one too, told by its apology.
    const failed = harness.logLines
      .filter(
        (line) =>
          line.msg === 'a read-only reply failed' && (line.err as { message?: unknown })?.message === 'response_url answered HTTP 400',
      )
      .at(-1);
    expect(failed).toMatchObject({ told: false });
  });
});

describe('postToResponseUrl, against the fake Slack', () => {
  const fake = new FakeSlackApi();
  const quick: ResponseUrlDelivery = { attempts: 3, timeoutMs: 200, firstDelayMs: 10, longestWaitMs: 5_000 };
  beforeAll(async () => fake.start());
  afterAll(async () => fake.close());

  const post = () => postToResponseUrl(fake.newResponseUrl(), textMessage('hello'), { delivery: quick });
  const failureOf = async (promise: Promise<void>) =>
    promise.then(
      () => null,
      (error: unknown) => error,
    );

  it('stops after the attempts allowed, and says why and how often', async () => {
    const before = fake.responseAttempts;
    fake.scriptResponses({ httpStatus: 500 }, { httpStatus: 502 }, { httpStatus: 503 });
    const error = await failureOf(post());
    expect(error).toBeInstanceOf(ResponseUrlError);
    expect((error as ResponseUrlError).attempts).toBe(3);
    expect((error as Error).message).toBe('response_url answered HTTP 503, after 3 attempts');
    expect(error).toMatchObject({ status: 503, urlFailed: true });
    expect(fake.responseAttempts - before).toBe(3);
  });

  it('a response_url that never answers is abandoned after its timeout, each attempt', async () => {
    fake.scriptResponses({ hang: true }, { hang: true }, { hang: true });
    const error = await failureOf(post());
    expect((error as Error).message).toBe('response_url did not answer within 0.2 s, after 3 attempts');
    expect(error).toMatchObject({ status: undefined, urlFailed: true });
  });

  it('a 4xx other than 429 (an expired response_url) is not tried again', async () => {
    const before = fake.responseAttempts;
    fake.scriptResponses({ httpStatus: 404 });
    const error = await failureOf(post());
    expect((error as Error).message).toBe('response_url answered HTTP 404');
    expect(error).toMatchObject({ status: 404, urlFailed: true });
    expect(fake.responseAttempts - before).toBe(1);
  });

  it('a 400 is final too, but says Slack refused the message, not that the URL failed', async () => {
    const before = fake.responseAttempts;
    fake.scriptResponses({ httpStatus: 400 });
    const error = await failureOf(post());
    expect((error as Error).message).toBe('response_url answered HTTP 400');
    expect(error).toMatchObject({ status: 400, urlFailed: false });
    expect(fake.responseAttempts - before).toBe(1);
  });

  it('a 429 asking for a longer wait than allowed fails at once, naming the wait', async () => {
    const before = fake.responseAttempts;
    fake.scriptResponses({ rateLimitedForSeconds: 60 });
    const error = await failureOf(post());
    expect((error as Error).message).toBe('response_url answered HTTP 429, and asked to wait 60 s (1 attempt)');
    expect(fake.responseAttempts - before).toBe(1);
  });

  it('with the default delivery, a Retry-After longer than 5 s is not waited for', async () => {
    const before = fake.responseAttempts;
    fake.scriptResponses({ rateLimitedForSeconds: 6 });
    const error = await failureOf(postToResponseUrl(fake.newResponseUrl(), textMessage('hello')));
    expect((error as Error).message).toBe('response_url answered HTTP 429, and asked to wait 6 s (1 attempt)');
    expect(error).toMatchObject({ status: 429, urlFailed: true, attempts: 1 });
    expect(fake.responseAttempts - before).toBe(1);
  });

  it('a reset connection, then ok: delivered', async () => {
    fake.scriptResponses({ reset: true });
    const arrived = fake.waitForResponse((response) => response.body.text === 'hello');
    await post();
    expect((await arrived).body).toMatchObject({ response_type: 'ephemeral', text: 'hello' });
  });
});
