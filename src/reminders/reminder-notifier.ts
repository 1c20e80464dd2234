import { RotorError } from '../core/errors.js';
import type { OwedReminder } from './reminder.js';

/** One Slack message carrying one reminder, or a digest of several for the same person. */
export interface ReminderEnvelope {
  recipient: string;
  reminders: readonly OwedReminder[];
  /** Ledger keys (formatKey) carried in the message metadata. */
  keys: readonly string[];
}

export interface Delivery {
  channel: string;
  ts: string;
}

export interface PersonInfo {
  /** Deleted, deactivated, or unknown to Slack. */
  gone: boolean;
  tz: string | null;
}

/**
 * Why a send failed, as far as the sweep needs to know:
 * - `rate_limited`: not posted; retry after `retryAfterSeconds`.
 * - `ambiguous`: 5xx or network failure; the message may or may not exist; look before resending.
 * - `dm_closed`: the person blocked DMs from the app; post in the announcement channel instead.
 * - `user_gone`: the person left Slack; escalate to the next rung.
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

/** The reminders' port to Slack; the sweep never sees a Slack type. */
export interface ReminderNotifier {
  lookupPerson(userId: string): Promise<PersonInfo>;
  /** Posts to the recipient's DM with the app. Throws DeliveryError. */
  sendDirect(envelope: ReminderEnvelope): Promise<Delivery>;
  /** Posts in a channel, mentioning the recipient: the fallback when their DMs are closed. */
  sendInChannel(channel: string, envelope: ReminderEnvelope): Promise<Delivery>;
  /**
   * A recent message carrying `key` in its metadata, in the person's DM (or in `channel`). Looks at
   * the newest messages rather than a time window, so it still works when Rotor's clock and
   * Slack's disagree.
   */
  findDelivered(recipient: string, channel: string | null, key: string): Promise<Delivery | null>;
  /** Plain text to a channel: sweep failures, the weekly digest. */
  announce(channel: string, text: string): Promise<Delivery>;
}
