import { HTTPModuleFunctions, type BufferedIncomingMessage } from '@slack/bolt';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ServerResponse, type IncomingMessage, type RequestListener } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from 'pino';
import type { AckFirstQueue } from './ack-first-queue.js';
import type { InFlightRequests } from '../middleware/in-flight-requests.js';
import type { SeenSignatureRepo } from './seen-signature-repo.js';

/** How far a request's timestamp may be from now, either way: Slack's five minutes. */
export const REQUEST_WINDOW_SECONDS = 5 * 60;

export interface RequestGateOptions {
  signingSecret: string;
  /** The path Slack posts to, as the HTTP receiver serves it. */
  endpoint: string;
  seen: Pick<SeenSignatureRepo, 'remember'>;
  /** Wall time in unix seconds: Slack dates its signatures by it, whatever clock Rotor's schedules run on. */
  nowSeconds: () => number;
  logger: Logger;
  /** Where a request the gate acknowledged waits for Bolt to handle it. */
  afterAck: Pick<AckFirstQueue, 'turn'>;
  /** Told of each request the gate acknowledged, so Bolt's listeners do not wait a second time. */
  ackedEarly: WeakSet<IncomingMessage>;
  /** Counts a request acknowledged here until Bolt has it, so shutdown waits for it too. */
  inFlight: Pick<InFlightRequests, 'enter' | 'leave'>;
  /**
   * Offered each first delivery the gate acknowledged, before Bolt: a request it takes (a
   * promise of its completion) never reaches Bolt; null leaves it to Bolt.
   */
  offload?: (body: Record<string, unknown>) => Promise<void> | null;
}

/** Interaction payloads and the event envelope, whose acknowledgement never carries a body (view submissions and menu options do). */
const EMPTY_ACKS = new Set(['block_actions', 'shortcut', 'message_action', 'event_callback']);
const FORM = 'application/x-www-form-urlencoded';
/** How far inside Slack's window a request must be to be acknowledged before Bolt has checked it too. */
const EARLY_ACK_MARGIN_SECONDS = 30;

type Verdict = { pass: true; ackNow: boolean; body?: Record<string, unknown> } | { pass: false; status: number };

/**
 * Stands in front of the HTTP receiver's request listener, for Slack's endpoint only. Every
 * request but Slack's unsigned SSL check must carry exactly the v0 signature of its body and a
 * timestamp within five minutes either way, or it is refused here with 401; Bolt, which verifies
 * again, only ever sees requests that passed. A correctly signed request whose signature was
 * already seen is a byte-identical replay, answered 200 and dropped. Slack's retries
 * (X-Slack-Retry-Num) go on: the retry middleware acknowledges and drops them, as before.
 *
 * A verified request whose acknowledgement is always an empty 200 (a slash command, a button
 * or menu click, a shortcut, an event) is acknowledged here, at once, and handed to Bolt when
 * its turn in `afterAck` comes, with a response nobody reads: its ack then waits neither for
 * Bolt's middleware nor for the work of the requests before it, and while it waits it holds only
 * its buffered body. A first delivery `offload` takes (a read-only reply, made off this thread)
 * never reaches Bolt. Everything else (view submissions, whose ack may carry errors or the next
 * view; menu options; URL verification) is Bolt's to answer, as before.
 */
export function gateSignedRequests(inner: RequestListener, options: RequestGateOptions): RequestListener {
  return (req, res) => {
    if (!isSlackPost(req, options.endpoint)) {
      inner(req, res);
      return;
    }
    screen(req, options).then(
      (verdict) => {
        if (!verdict.pass) return answer(res, verdict.status);
        if (!verdict.ackNow) return dispatch(inner, req, res, options.logger);
        answer(res, 200);
        options.inFlight.enter();
        const offloaded = verdict.body ? offer(verdict.body, options) : null;
        if (offloaded) return settleOffloaded(offloaded, options);
        options.ackedEarly.add(req);
        void options.afterAck.turn().then(() => {
          dispatch(inner, req, new ServerResponse(req), options.logger);
          // Bolt reaches its processEvent (which counts the request from then on) within
          // promise callbacks of the dispatch, all run before the next loop turn.
          setImmediate(() => options.inFlight.leave());
        });
      },
      (error: unknown) => {
        options.logger.error({ err: error }, 'could not check a Slack request for replay; refused it');
        answer(res, 500);
      },
    );
  };
}

/**
 * Logs an offloaded request's failure and counts it out once its reply is done. Its callbacks are
 * made here, not inside the request's listener: a closure made there keeps that listener's scope
 * (the request and response objects, the buffered body, about 5 KB) alive until the reply is made,
 * and under a sustained round thousands of replies wait for a worker.
 */
function settleOffloaded(offloaded: Promise<void>, options: Pick<RequestGateOptions, 'logger' | 'inFlight'>): void {
  void offloaded
    .catch((error: unknown) => options.logger.error({ err: error }, 'an offloaded Slack request failed'))
    .finally(() => options.inFlight.leave());
}

/** The request to `offload`; one it fails to look at is Bolt's. */
function offer(body: Record<string, unknown>, options: RequestGateOptions): Promise<void> | null {
  try {
    return options.offload?.(body) ?? null;
  } catch (error) {
    options.logger.error({ err: error }, 'could not offer a Slack request to the reply workers; Bolt handles it');
    return null;
  }
}

function dispatch(inner: RequestListener, req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  try {
    inner(req, res);
  } catch (error) {
    logger.error({ err: error }, 'the Slack request could not be dispatched');
    if (!res.headersSent) answer(res, 500);
  }
}

async function screen(req: IncomingMessage, options: RequestGateOptions): Promise<Verdict> {
  let buffered: BufferedIncomingMessage;
  try {
    // Bolt reads the buffered body from the request rather than the stream again.
    buffered = await HTTPModuleFunctions.bufferIncomingMessage(req, HTTPModuleFunctions.defaultBodyLimit);
  } catch (error) {
    const tooLarge = HTTPModuleFunctions.isRawBodyError(error) && error.statusCode === 413;
    return { pass: false, status: tooLarge ? 413 : 400 };
  }
  const { rawBody } = buffered;
  const contentType = singleHeader(req, 'content-type');
  // Slack's SSL check comes unsigned; Bolt answers it, as it recognises it, and strips anything else from its body.
  if (contentType === FORM && parseQuery(rawBody.toString()).ssl_check === '1') return { pass: true, ackNow: false };
  const body = parsedByBolt(buffered);

  const signature = singleHeader(req, 'x-slack-signature');
  const timestamp = Number(singleHeader(req, 'x-slack-request-timestamp'));
  if (signature === undefined || !Number.isInteger(timestamp)) {
    options.logger.warn('refused a request to the Slack endpoint without a signature and timestamp');
    return { pass: false, status: 401 };
  }
  const now = options.nowSeconds();
  const skew = timestamp - now;
  if (Math.abs(skew) > REQUEST_WINDOW_SECONDS) {
    options.logger.warn(
      { skewSeconds: skew },
      `refused a Slack request dated ${Math.abs(skew)} s in the ${skew > 0 ? 'future' : 'past'} (more than ${REQUEST_WINDOW_SECONDS} s either way)`,
    );
    return { pass: false, status: 401 };
  }
  // Exactly Slack's header or nothing: Bolt's own check ignores whatever follows a second `=`, so
  // a header with a suffix would otherwise pass there as a request never seen before.
  const expected = expectedSignature(options.signingSecret, rawBody, timestamp);
  if (!sameText(signature, expected)) {
    options.logger.warn('refused a Slack request whose signature does not match the signing secret');
    return { pass: false, status: 401 };
  }
  // Acknowledged here only well inside the window, so Bolt's own check, made when its turn comes, cannot refuse it after the 200.
  const ackNow = acknowledgedEmpty(body) && now - timestamp < REQUEST_WINDOW_SECONDS - EARLY_ACK_MARGIN_SECONDS;
  const retryNum = singleHeader(req, 'x-slack-retry-num');
  // Retries go to Bolt, whose middleware acknowledges and drops them.
  if (retryNum !== undefined && Number.parseInt(retryNum, 10) !== 0) return { pass: true, ackNow };

  const digest = createHash('sha256').update(expected).digest();
  if (!options.seen.remember(digest, timestamp + REQUEST_WINDOW_SECONDS, now)) {
    options.logger.warn({ requestTimestamp: timestamp }, 'dropped a replayed Slack request (its signature was already seen)');
    return { pass: false, status: 200 };
  }
  return { pass: true, ackNow, ...(ackNow && body ? { body } : {}) };
}

/** The body as Bolt's receiver will parse it; null when Bolt cannot parse it either (it answers 400). */
function parsedByBolt(buffered: BufferedIncomingMessage): Record<string, unknown> | null {
  try {
    const body: unknown = HTTPModuleFunctions.parseHTTPRequestBody(buffered);
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Whether Bolt would acknowledge this body with an empty 200 whatever its listeners do. */
function acknowledgedEmpty(body: Record<string, unknown> | null): boolean {
  if (body === null) return false;
  if (typeof body.command === 'string') return true;
  return typeof body.type === 'string' && EMPTY_ACKS.has(body.type);
}

/** Slack's v0 signature header for this body, computed over the body as text, as Bolt's own check does. */
function expectedSignature(signingSecret: string, rawBody: Buffer, timestamp: number): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody.toString()}`).digest('hex')}`;
}

/** Equal text, compared in constant time (only the lengths, which are public, are compared first). */
function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isSlackPost(req: IncomingMessage, endpoint: string): boolean {
  return (req.method ?? '').toUpperCase() === 'POST' && new URL(req.url ?? '/', 'http://localhost').pathname === endpoint;
}

function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function answer(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}
