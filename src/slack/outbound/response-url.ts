import { AttemptTimeoutError, type RetryStop, withRetry } from '../../core/retry.js';
import type { SlackMessage } from '../views/slack-message.js';

/** How a reply POST to a response_url is retried and bounded. */
export interface ResponseUrlDelivery {
  /** Attempts in all, the first included. */
  attempts: number;
  /** One attempt is abandoned after this long: a response_url that never answers must not hold a reply for minutes. */
  timeoutMs: number;
  /** The wait before the second attempt, doubled before each next one (a 429's Retry-After, when longer, wins). */
  firstDelayMs: number;
  /** A 429 asking for a longer wait than this is not waited for: the reply fails, said in its error. */
  longestWaitMs: number;
}

/**
 * Slack answers a response_url within a second or two; five seconds is a hung connection. Three
 * attempts with a 1 s then 2 s pause ride out a reset connection or a short 5xx spell. A 429's
 * Retry-After is waited for up to 5 s; a longer one ends the reply there, the wait asked named in
 * its error (a response_url takes 5 posts in 30 minutes, and app.stop drains replies for 10 s:
 * waiting out a long rate limit twice would outlast both). So a reply that cannot be delivered is
 * given up on within three timeouts and two waits of at most 5 s each, about 25 s at worst.
 * Slack may have taken a POST whose answer was lost (a timeout, a reset): the next attempt posts
 * it again, so the person may see the same ephemeral twice, at most once an attempt (3 copies).
 */
export const RESPONSE_URL_DELIVERY: ResponseUrlDelivery = { attempts: 3, timeoutMs: 5_000, firstDelayMs: 1_000, longestWaitMs: 5_000 };

/** Slack takes at most five messages through one response_url (within 30 minutes): a reply's attempts and its apology's share them. */
export const RESPONSE_URL_USES = 5;

/**
 * A reply that could not be delivered: why, after how many attempts, and Slack's last HTTP status
 * (none when the URL was not reached or did not answer). `urlFailed`: the response_url itself
 * failed (unreachable, silent, 5xx or 429 to the last attempt, a Retry-After too long to wait, or
 * a 404/410 of an expired URL), so any other message to it would fail the same way; otherwise
 * Slack refused this message (a 400 for invalid blocks or a text too long) and a plain one may pass.
 */
export class ResponseUrlError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly status: number | undefined,
    readonly urlFailed: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ResponseUrlError';
  }
}

/** Slack's answer other than 2xx: its status, and the wait a 429's Retry-After asks for (0 when none). */
class RefusedPost extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number,
  ) {
    super(`answered HTTP ${status}`);
    this.name = 'RefusedPost';
  }
}

/** A final answer that says the URL is gone (expired, or used up), not that this message was wrong. */
const URL_GONE = new Set([404, 410]);

/**
 * Posts an ephemeral reply to a response_url, the way Bolt's `respond` does. The answer's body is
 * read to its end: an unread body keeps its connection and buffers until garbage collection. A
 * network failure (a reset, a refused connection, no answer within `timeoutMs`), a 5xx or a 429 is
 * tried again by the one retry loop (core/retry.ts), up to `attempts` in all, honouring a 429's
 * Retry-After; any other status (a 404 of an expired response_url, a 400 of a message Slack
 * refuses) is final. Throws a ResponseUrlError saying what happened, and whether it was the URL
 * that failed.
 */
export async function postToResponseUrl(
  responseUrl: string,
  message: SlackMessage,
  options: { replaceOriginal?: boolean; delivery?: ResponseUrlDelivery } = {},
): Promise<void> {
  const delivery = options.delivery ?? RESPONSE_URL_DELIVERY;
  const body = JSON.stringify({ response_type: 'ephemeral', replace_original: options.replaceOriginal ?? false, ...message });
  await withRetry((signal) => postOnce(responseUrl, body, signal), {
    attempts: delivery.attempts,
    timeoutMs: delivery.timeoutMs,
    backoffMs: (attempt) => delivery.firstDelayMs * 2 ** (attempt - 1),
    isTransient: (error) => !(error instanceof RefusedPost) || error.status === 429 || error.status >= 500,
    waitAskedMs: (error) => (error instanceof RefusedPost ? error.retryAfterMs : 0),
    longestWaitMs: delivery.longestWaitMs,
    giveUp: (stop) => undeliveredError(stop, delivery.timeoutMs),
  });
}

async function postOnce(responseUrl: string, body: string, signal: AbortSignal): Promise<void> {
  const response = await fetch(responseUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, signal });
  await response.arrayBuffer();
  if (!response.ok) throw new RefusedPost(response.status, response.status === 429 ? retryAfterMs(response) : 0);
}

/** Why the reply was given up on, in the words of its error: the answer (or its absence), and how often it was tried. */
function undeliveredError(stop: RetryStop, timeoutMs: number): ResponseUrlError {
  const { error, attempts } = stop;
  const refused = error instanceof RefusedPost ? error : undefined;
  const status = refused?.status;
  // Slack's answer is said by its status; a network failure is the cause.
  const cause = refused ? undefined : error;
  const reason = refused
    ? refused.message
    : error instanceof AttemptTimeoutError
      ? `did not answer within ${timeoutMs / 1000} s`
      : `could not be reached (${networkReason(error)})`;
  const tried = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
  if (stop.why === 'final')
    return new ResponseUrlError(`response_url ${reason}`, attempts, status, status !== undefined && URL_GONE.has(status), { cause });
  if (stop.why === 'wait_too_long')
    return new ResponseUrlError(`response_url ${reason}, and asked to wait ${stop.waitMs / 1000} s (${tried})`, attempts, status, true);
  return new ResponseUrlError(`response_url ${reason}, after ${tried}`, attempts, status, true, { cause });
}

/** A 429's Retry-After (seconds), in ms; 0 when absent or unreadable. */
function retryAfterMs(response: Response): number {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

/** fetch's "fetch failed" says nothing: the socket error under it (ECONNRESET, ECONNREFUSED) does. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}
