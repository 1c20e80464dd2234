import type { MessageRef, PersonInfo } from '../core/delivery.js';
import type { NotMineFacts, OwedReminder, WeeklyDigest } from './reminder.js';

/** One Slack message carrying one reminder, or a digest of several for the same person. */
export interface ReminderEnvelope {
  recipient: string;
  reminders: readonly OwedReminder[];
  /** Ledger keys (formatKey) carried in the message metadata. */
  keys: readonly string[];
}

/**
 * The reminders' port to Slack, in the reminders' own terms; the sweep never sees a Slack type.
 * Failures are DeliveryErrors (src/core/delivery.ts).
 */
export interface ReminderNotifier {
  lookupPerson(userId: string): Promise<PersonInfo>;
  /** Posts to the recipient's DM with the app. */
  sendDirect(envelope: ReminderEnvelope): Promise<MessageRef>;
  /** Posts in a channel, mentioning the recipient: the fallback when their DMs are closed. */
  sendInChannel(channel: string, envelope: ReminderEnvelope): Promise<MessageRef>;
  /** A recent message carrying `key` in its metadata, in the person's DM (or in `channel`). */
  findDelivered(recipient: string, channel: string | null, key: string): Promise<MessageRef | null>;
  /** The weekly summary in the announcement channel. */
  postWeeklyDigest(channel: string, digest: WeeklyDigest): Promise<MessageRef>;
  /** Tells one admin or security lead that someone said a reminded secret is not theirs. */
  reportNotMine(recipient: string, facts: NotMineFacts): Promise<MessageRef>;
}
