import type { MessageRef, PersonInfo } from '../../core/delivery.js';
import type { ReminderEnvelope, ReminderNotifier } from '../../reminders/reminder-notifier.js';
import { METADATA_EVENT_TYPE, type NotMineFacts, type WeeklyDigest } from '../../reminders/reminder.js';
import { notMineReportMessage } from '../views/reminder-action-messages.js';
import { buildChannelFallback, buildReminderDigest, buildReminderMessage } from '../views/reminder-message.js';
import { weeklyDigestMessage } from '../views/reminder-weekly-digest.js';
import type { SlackMessage } from '../views/slack-message.js';
import type { MessageMetadata, SlackPoster } from './slack-poster.js';

export function renderEnvelope(envelope: ReminderEnvelope): SlackMessage {
  const [only] = envelope.reminders;
  if (envelope.reminders.length === 1 && only) return buildReminderMessage(only, envelope.keys[0] as string);
  return buildReminderDigest(envelope.reminders, envelope.keys);
}

/** Slack metadata values are scalars or objects, so the keys travel as one space-separated string. */
function keysMetadata(keys: readonly string[]): MessageMetadata {
  return { eventType: METADATA_EVENT_TYPE, payload: { keys: keys.join(' ') } };
}

/** The reminders' notifier over the outbound poster; messages come from the reminder views. */
export class SlackReminderNotifier implements ReminderNotifier {
  constructor(private readonly poster: SlackPoster) {}

  lookupPerson(userId: string): Promise<PersonInfo> {
    return this.poster.lookupPerson(userId);
  }

  sendDirect(envelope: ReminderEnvelope): Promise<MessageRef> {
    return this.poster.post(envelope.recipient, renderEnvelope(envelope), keysMetadata(envelope.keys));
  }

  sendInChannel(channel: string, envelope: ReminderEnvelope): Promise<MessageRef> {
    return this.poster.post(channel, buildChannelFallback(envelope.recipient, renderEnvelope(envelope)), keysMetadata(envelope.keys));
  }

  findDelivered(recipient: string, channel: string | null, key: string): Promise<MessageRef | null> {
    return this.poster.findByMetadata(
      channel ? { channel } : { user: recipient },
      METADATA_EVENT_TYPE,
      (payload) => typeof payload.keys === 'string' && payload.keys.split(' ').includes(key),
    );
  }

  postWeeklyDigest(channel: string, digest: WeeklyDigest): Promise<MessageRef> {
    return this.poster.post(channel, weeklyDigestMessage(digest));
  }

  reportNotMine(recipient: string, facts: NotMineFacts): Promise<MessageRef> {
    return this.poster.post(recipient, notMineReportMessage(facts));
  }
}
