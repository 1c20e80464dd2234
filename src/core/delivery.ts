import { RotorError } from './errors.js';

/** Where a posted message lives: enough to update it or to find it again. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/** What Slack says about a person Rotor writes to. */
export interface PersonInfo {
  /** Deleted, deactivated, or unknown to Slack. */
  gone: boolean;
  tz: string | null;
  /** How Slack names them (full name, else display name); absent when Slack gives none. */
  name?: string | null;
}

/** What Slack says a member id is, before someone is made an owner: only a `person` can be. */
export type MemberStanding = 'person' | 'bot' | 'deactivated' | 'unknown';

/**
 * Why a message could not be delivered, as far as a sender needs to know:
 * - `rate_limited`: not posted; retry after `retryAfterSeconds`.
 * - `ambiguous`: 5xx or network failure; the message may or may not exist; look before resending.
 * - `dm_closed`: the person blocked DMs from the app; post somewhere else instead.
 * - `user_gone`: the person left Slack; reach someone else.
 * - `rejected`: Slack refused it for another reason; it was not posted.
 */
export type DeliveryFailure = 'rate_limited' | 'ambiguous' | 'dm_closed' | 'user_gone' | 'rejected';

export class DeliveryError extends RotorError {
  constructor(
    readonly failure: DeliveryFailure,
    message: string,
    readonly retryAfterSeconds: number | null = null,
    options?: { cause?: unknown },
  ) {
    super('slack', message, options);
    this.name = 'DeliveryError';
  }
}
