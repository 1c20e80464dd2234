import type { ReadRequest } from './read-replies.js';

/** What a reply worker is started with. */
export interface ReplyWorkerData {
  dbPath: string;
  /** The policy's warning offsets: what makes a secret "due soon" in a row. */
  dueSoonDays: readonly number[];
}

/** One reply to make: the request, where the answer goes, and the instant it is made for (the bot's clock, which tests move). */
export interface ReplyJob {
  id: number;
  request: ReadRequest;
  responseUrl: string;
  /** ISO instant with its zone. */
  today: string;
}

/**
 * How a reply went. `rejected`: the person was told why (an unknown name, an outdated button),
 * `code` being the error's. `error`: Rotor failed, `delivered` saying whether the person at least
 * got the generic apology.
 */
export type ReplyOutcome = { outcome: 'ok' } | { outcome: 'rejected'; code: string } | { outcome: 'error'; error: { message: string; stack?: string }; delivered: boolean };

export type WorkerMessage = { type: 'ready' } | ({ type: 'done'; id: number } & ReplyOutcome);
