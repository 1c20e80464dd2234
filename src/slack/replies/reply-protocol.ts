import type { Refusal } from '../../access/refusal-log.js';
import type { Policy } from '../../config/policy.js';
import type { ReadRequest } from './read-replies.js';

/** What a reply worker is started with. */
export interface ReplyWorkerData {
  dbPath: string;
  /** The policy's warning offsets: what makes a secret "due soon" in a row. */
  dueSoonDays: readonly number[];
  /** The policy the bot runs with: the visibility rules are judged by it, as on the main thread. */
  policy: Policy;
}

/** One reply to make: the request, who asked, where the answer goes, and the instant it is made for (the bot's clock, which tests move). */
export interface ReplyJob {
  id: number;
  request: ReadRequest;
  /** The member the answer is for: what they may see is judged for them. */
  viewer: { userId: string; channelId?: string };
  responseUrl: string;
  /** ISO instant with its zone. */
  today: string;
}

/**
 * How a reply went. `rejected`: the person was told why (an unknown name, an outdated button, a
 * refusal), `code` being the error's. `error`: Rotor failed, `delivered` saying whether the person
 * at least got the generic apology.
 */
export type ReplyOutcome =
  | { outcome: 'ok' }
  | { outcome: 'rejected'; code: string }
  | { outcome: 'error'; error: { message: string; stack?: string }; delivered: boolean };

/**
 * What only the main thread may do, asked by a worker: the writes a read leads to. Refusals go to
 * the audit log's single writer (its hash chain is written by one connection); user groups are
 * asked of Slack and stored there.
 */
export type MainThreadAsk = { kind: 'record-refusals'; refusals: Refusal[] } | { kind: 'refresh-user-groups' };

export type ToWorker =
  | { type: 'job'; job: ReplyJob }
  | { type: 'answer'; askId: number; ok: true }
  | { type: 'answer'; askId: number; ok: false; error: string };

export type WorkerMessage =
  | { type: 'ready' }
  | ({ type: 'done'; id: number } & ReplyOutcome)
  | { type: 'ask'; askId: number; ask: MainThreadAsk };
