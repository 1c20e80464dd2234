import { HTTPModuleFunctions } from '@slack/bolt';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ServerResponse, type IncomingMessage, type RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { AckFirstQueue } from './ack-first-queue.js';
import type { InFlightRequests } from '../middleware/request-log.js';
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
}

/** Interaction payloads whose acknowledgement never carries a body (view submissions and menu options do). */
const EMPTY_ACK_PAYLOADS = new Set(['block_actions', 'shortcut', 'message_action']);

type Verdict = { pass: true; ackNow: boolean } | { pass: false; status: number };

/**
 * Stands in front of the HTTP receiver's request listener, for Slack's endpoint only, and adds
 * what Bolt's own check lacks: a timestamp more than five minutes in the future is refused as
 * one in the past is (401), and a correctly signed request whose signature was already seen is
 * a byte-identical replay, answered 200 and dropped. Whatever it lets through, or cannot
 * judge (no signature, a bad one, an ssl_check), goes on to Bolt, which verifies again and
 * refuses as it always has. Slack's retries (X-Slack-Retry-Num) go on too: the retry
 * middleware acknowledges and drops them, as before.
 *
 * A verified request whose acknowledgement is always an empty 200 (a slash command, a button
 * or menu click, a shortcut, an event) is acknowledged here, at once, and handed to Bolt when
 * its turn in `afterAck` comes, with a response nobody reads: its ack then waits neither for
 * Bolt's middleware nor for the work of the requests before it, and while it waits it holds only
 * its buffered body. Everything else (view submissions, whose ack may carry errors or the next
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
        options.ackedEarly.add(req);
        options.inFlight.enter();
        void options.afterAck.turn().then(() => {
          dispatch(inner, req, new ServerResponse(req), options.logger);
          // Bolt reaches the request log middleware (which counts the request from then on) within
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

function dispatch(inner: RequestListener, req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  try {
    inner(req, res);
  } catch (error) {
    logger.error({ err: error }, 'the Slack request could not be dispatched');
    if (!res.headersSent) answer(res, 500);
  }
}

async function screen(req: IncomingMessage, options: RequestGateOptions): Promise<Verdict> {
  let rawBody: Buffer;
  try {
    // Bolt reads the buffered body from the request rather than the stream again.
    rawBody = (await HTTPModuleFunctions.bufferIncomingMessage(req, HTTPModuleFunctions.defaultBodyLimit)).rawBody;
  } catch (error) {
    const tooLarge = HTTPModuleFunctions.isRawBodyError(error) && error.statusCode === 413;
    return { pass: false, status: tooLarge ? 413 : 400 };
  }
  const signature = singleHeader(req, 'x-slack-signature');
  const timestamp = Number(singleHeader(req, 'x-slack-request-timestamp'));
  if (signature === undefined || !Number.isInteger(timestamp)) return { pass: true, ackNow: false };

  const now = options.nowSeconds();
  const skew = timestamp - now;
  if (Math.abs(skew) > REQUEST_WINDOW_SECONDS) {
    options.logger.warn({ skewSeconds: skew }, `refused a Slack request dated ${Math.abs(skew)} s in the ${skew > 0 ? 'future' : 'past'} (more than ${REQUEST_WINDOW_SECONDS} s either way)`);
    return { pass: false, status: 401 };
  }
  if (!signatureMatches(options.signingSecret, rawBody, timestamp, signature)) return { pass: true, ackNow: false };
  const retryNum = singleHeader(req, 'x-slack-retry-num');
  const ackNow = acknowledgedEmpty(singleHeader(req, 'content-type') ?? '', rawBody);
  if (retryNum !== undefined && Number.parseInt(retryNum, 10) !== 0) return { pass: true, ackNow };

  const digest = createHash('sha256').update(signature).digest();
  if (!options.seen.remember(digest, timestamp + REQUEST_WINDOW_SECONDS, now)) {
    options.logger.warn({ requestTimestamp: timestamp }, 'dropped a replayed Slack request (its signature was already seen)');
    return { pass: false, status: 200 };
  }
  return { pass: true, ackNow };
}

/** Whether Bolt would acknowledge this body with an empty 200 whatever its listeners do. */
function acknowledgedEmpty(contentType: string, rawBody: Buffer): boolean {
  try {
    if (contentType.startsWith('application/json')) return (JSON.parse(rawBody.toString()) as { type?: unknown } | null)?.type === 'event_callback';
    if (!contentType.startsWith('application/x-www-form-urlencoded')) return false;
    const form = new URLSearchParams(rawBody.toString());
    if (form.has('ssl_check')) return false;
    const payload = form.get('payload');
    if (payload === null) return form.has('command');
    const type = (JSON.parse(payload) as { type?: unknown } | null)?.type;
    return typeof type === 'string' && EMPTY_ACK_PAYLOADS.has(type);
  } catch {
    // A body Bolt cannot parse either: Bolt answers it (400).
    return false;
  }
}

/**
 * Slack's v0 signature, compared in constant time. Computed over the body as text, as Bolt's
 * own check does, so the two never disagree on a request.
 */
function signatureMatches(signingSecret: string, rawBody: Buffer, timestamp: number, signature: string): boolean {
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody.toString()}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
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
