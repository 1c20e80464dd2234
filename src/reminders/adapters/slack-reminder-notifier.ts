import { ErrorCode, WebClient, type WebAPIPlatformError, type WebAPIRateLimitedError, type WebAPIHTTPError } from '@slack/web-api';
import { buildChannelFallback, buildReminderDigest, buildReminderMessage, type RenderedMessage } from '../../slack/views/reminder-message.js';
import { DeliveryError, type Delivery, type PersonInfo, type ReminderEnvelope, type ReminderNotifier } from '../reminder-notifier.js';
import { METADATA_EVENT_TYPE } from '../reminder.js';

const DM_CLOSED = new Set(['cannot_dm_bot', 'messages_tab_disabled']);
const USER_GONE = new Set(['user_not_found', 'user_disabled', 'account_inactive', 'user_not_visible']);
/** How far back a DM is searched for a reminder a crash may have posted. */
const HISTORY_LIMIT = 100;
/** Far below the sweep's 10-minute claim timeout, far above a normal Web API call. */
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Two clients over one token. Posting never retries inside the client: a 5xx after Slack
 * stored the message would post it twice, so the sweep decides (look in history first). Reads
 * are idempotent and use the client's own bounded retries, which honour Retry-After.
 */
export function createReminderClients(token: string, slackApiUrl?: string): { post: WebClient; read: WebClient } {
  // A request that hangs must end well inside the ledger's claim timeout: an unanswered post is
  // then "ambiguous" and looked up in the DM, instead of landing after another sweep took over.
  const common = { timeout: REQUEST_TIMEOUT_MS, ...(slackApiUrl ? { slackApiUrl } : {}) };
  return {
    post: new WebClient(token, { ...common, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } }),
    read: new WebClient(token, { ...common, retryConfig: { retries: 3, factor: 1, minTimeout: 200, maxTimeout: 2000 } }),
  };
}

export function renderEnvelope(envelope: ReminderEnvelope): RenderedMessage {
  const [only] = envelope.reminders;
  if (envelope.reminders.length === 1 && only) return buildReminderMessage(only, envelope.keys[0] as string);
  return buildReminderDigest(envelope.reminders, envelope.keys);
}

/** The reminders' Notifier over the Slack Web API. */
export class SlackReminderNotifier implements ReminderNotifier {
  constructor(private readonly clients: { post: WebClient; read: WebClient }) {}

  async lookupPerson(userId: string): Promise<PersonInfo> {
    try {
      const answer = await this.clients.read.users.info({ user: userId });
      const user = answer.user;
      return { gone: user?.deleted === true, tz: user?.tz ?? null };
    } catch (error) {
      if (platformError(error) && USER_GONE.has(platformError(error) as string)) return { gone: true, tz: null };
      throw translate(error);
    }
  }

  sendDirect(envelope: ReminderEnvelope): Promise<Delivery> {
    return this.post(envelope.recipient, renderEnvelope(envelope), envelope.keys);
  }

  sendInChannel(channel: string, envelope: ReminderEnvelope): Promise<Delivery> {
    return this.post(channel, buildChannelFallback(envelope.recipient, renderEnvelope(envelope)), envelope.keys);
  }

  async findDelivered(recipient: string, channel: string | null, key: string): Promise<Delivery | null> {
    try {
      const target = channel ?? (await this.clients.read.conversations.open({ users: recipient })).channel?.id;
      if (!target) return null;
      const history = await this.clients.read.conversations.history({ channel: target, include_all_metadata: true, limit: HISTORY_LIMIT });
      for (const message of history.messages ?? []) {
        const metadata = message.metadata;
        const keys = (metadata?.event_payload as Record<string, unknown> | undefined)?.keys;
        if (metadata?.event_type === METADATA_EVENT_TYPE && typeof keys === 'string' && keys.split(' ').includes(key) && message.ts) {
          return { channel: target, ts: message.ts };
        }
      }
      return null;
    } catch (error) {
      throw translate(error);
    }
  }

  async announce(channel: string, text: string): Promise<Delivery> {
    return this.post(channel, { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] }, null);
  }

  private async post(channel: string, message: RenderedMessage, keys: readonly string[] | null): Promise<Delivery> {
    try {
      // Slack metadata values are scalars or objects, so the keys travel as one space-separated string.
      const metadata = keys ? { event_type: METADATA_EVENT_TYPE, event_payload: { keys: keys.join(' ') } } : undefined;
      const answer = await this.clients.post.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false, metadata });
      return { channel: answer.channel ?? channel, ts: answer.ts as string };
    } catch (error) {
      throw translate(error);
    }
  }
}

function platformError(error: unknown): string | null {
  const coded = error as { code?: string };
  return coded.code === ErrorCode.PlatformError ? (error as WebAPIPlatformError).data.error : null;
}

/** Slack's errors, translated by name into what the sweep must do about them. */
function translate(error: unknown): DeliveryError {
  const code = (error as { code?: string }).code;
  if (code === ErrorCode.RateLimitedError) {
    return new DeliveryError('rate_limited', 'Slack rate limited the call', (error as WebAPIRateLimitedError).retryAfter, { cause: error });
  }
  if (code === ErrorCode.HTTPError) {
    const status = (error as WebAPIHTTPError).statusCode;
    return new DeliveryError(status >= 500 ? 'ambiguous' : 'rejected', `Slack answered HTTP ${status}`, null, { cause: error });
  }
  if (code === ErrorCode.RequestError) return new DeliveryError('ambiguous', 'Slack could not be reached', null, { cause: error });
  const platform = platformError(error);
  if (platform === 'ratelimited') return new DeliveryError('rate_limited', 'Slack rate limited the call', 1, { cause: error });
  if (platform && DM_CLOSED.has(platform)) return new DeliveryError('dm_closed', `the person's DMs with Rotor are closed (${platform})`, null, { cause: error });
  if (platform && USER_GONE.has(platform)) return new DeliveryError('user_gone', `the person is no longer in Slack (${platform})`, null, { cause: error });
  if (platform) return new DeliveryError('rejected', `Slack refused the message (${platform})`, null, { cause: error });
  return new DeliveryError('ambiguous', error instanceof Error ? error.message : String(error), null, { cause: error });
}
