import type { DeliveryError, MemberStanding, MessageRef, PersonInfo } from '../../core/delivery.js';
import type { CompletionAnswer, StepCompleter, StepResult } from '../../workflow-steps/step-run.js';
import type { SlackMessage } from '../views/slack-message.js';
import { platformErrorCode, toDeliveryError, USER_GONE } from './delivery-errors.js';
import type { OutboundClients } from './outbound-clients.js';

/** How far back a conversation is searched for a message a crash may have posted. */
const HISTORY_LIMIT = 100;
/** How many pages of a thread are searched for such a message. */
const MAX_REPLY_PAGES = 10;

/** Slack message metadata: readable by any app or member of the workspace, so ids and keys only. */
export interface MessageMetadata {
  eventType: string;
  payload: Record<string, string | number | boolean>;
}

/** Where to look for a message: a person's DM with Rotor, or a channel. */
export type Conversation = { user: string } | { channel: string };

/**
 * The one way Rotor speaks in Slack outside a reply: post, update, open a DM, find a message by
 * its metadata, look a person up. Every failure comes out as a DeliveryError saying what the
 * sender should do; domain ports (the reminder notifier, rotation's and revocation's) are built
 * on this and never see a Slack type.
 */
export class SlackPoster implements StepCompleter {
  constructor(private readonly clients: OutboundClients) {}

  /**
   * Ends a Workflow Builder step of Rotor's (functions.completeSuccess / completeError, with the
   * bot token: the execution's own token may have expired by the time its rotation ends).
   */
  async complete(executionId: string, result: StepResult): Promise<CompletionAnswer> {
    try {
      if (result.kind === 'success')
        await this.clients.post.functions.completeSuccess({ function_execution_id: executionId, outputs: result.outputs });
      else await this.clients.post.functions.completeError({ function_execution_id: executionId, error: result.error });
      return 'done';
    } catch (error) {
      const code = platformErrorCode(error);
      if (code === 'execution_not_in_running_state') return 'not_running';
      if (code === 'function_execution_not_found') return 'not_found';
      throw toDeliveryError(error);
    }
  }

  /** Posts a message; with `threadTs`, as a reply in that message's thread. */
  async post(channel: string, message: SlackMessage, metadata?: MessageMetadata, threadTs?: string): Promise<MessageRef> {
    try {
      const answer = await this.clients.post.chat.postMessage({
        channel,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        ...(metadata ? { metadata: { event_type: metadata.eventType, event_payload: metadata.payload } } : {}),
      });
      return { channel: answer.channel ?? channel, ts: answer.ts as string };
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  /** Edits a message Rotor posted, in place. */
  async update(ref: MessageRef, message: SlackMessage): Promise<MessageRef> {
    try {
      const answer = await this.clients.post.chat.update({ channel: ref.channel, ts: ref.ts, text: message.text, blocks: message.blocks });
      return { channel: answer.channel ?? ref.channel, ts: answer.ts ?? ref.ts };
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  async openDm(user: string): Promise<string | null> {
    try {
      return (await this.clients.read.conversations.open({ users: user })).channel?.id ?? null;
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  /**
   * A recent message whose metadata has `eventType` and a payload `matches` accepts. Looks at the
   * newest messages rather than a time window, so it still works when Rotor's clock and Slack's
   * disagree.
   */
  /** A recent reply in a thread whose metadata has `eventType` and a payload `matches` accepts (threads are not in a channel's history). */
  async findReplyByMetadata(
    thread: MessageRef,
    eventType: string,
    matches: (payload: Record<string, unknown>) => boolean,
  ): Promise<MessageRef | null> {
    try {
      let cursor: string | undefined;
      // Replies come oldest first; a long incident's thread takes a few pages.
      for (let page = 0; page < MAX_REPLY_PAGES; page += 1) {
        const replies = await this.clients.read.conversations.replies({
          channel: thread.channel,
          ts: thread.ts,
          include_all_metadata: true,
          limit: HISTORY_LIMIT,
          ...(cursor ? { cursor } : {}),
        });
        for (const message of replies.messages ?? []) {
          const metadata = message.metadata;
          if (
            metadata?.event_type === eventType &&
            message.ts &&
            message.ts !== thread.ts &&
            matches((metadata.event_payload ?? {}) as Record<string, unknown>)
          ) {
            return { channel: thread.channel, ts: message.ts };
          }
        }
        cursor = replies.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
      return null;
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  async findByMetadata(
    where: Conversation,
    eventType: string,
    matches: (payload: Record<string, unknown>) => boolean,
  ): Promise<MessageRef | null> {
    try {
      const channel = 'channel' in where ? where.channel : await this.openDm(where.user);
      if (!channel) return null;
      const history = await this.clients.read.conversations.history({ channel, include_all_metadata: true, limit: HISTORY_LIMIT });
      for (const message of history.messages ?? []) {
        const metadata = message.metadata;
        if (metadata?.event_type === eventType && message.ts && matches((metadata.event_payload ?? {}) as Record<string, unknown>)) {
          return { channel, ts: message.ts };
        }
      }
      return null;
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  async lookupPerson(userId: string): Promise<PersonInfo> {
    try {
      const user = (await this.clients.read.users.info({ user: userId })).user;
      return { gone: user?.deleted === true, tz: user?.tz ?? null, name: personName(user) };
    } catch (error) {
      const platform = platformErrorCode(error);
      if (platform && USER_GONE.has(platform)) return { gone: true, tz: null };
      throw toDeliveryError(error) satisfies DeliveryError;
    }
  }

  /** What a member id is: a person, a bot, a deactivated account, or an id this workspace does not know. */
  async memberStanding(userId: string): Promise<MemberStanding> {
    try {
      const user = (await this.clients.read.users.info({ user: userId })).user;
      if (!user) return 'unknown';
      if (user.deleted) return 'deactivated';
      return user.is_bot ? 'bot' : 'person';
    } catch (error) {
      if (platformErrorCode(error) === 'user_not_found') return 'unknown';
      throw toDeliveryError(error);
    }
  }
}

/** The name people know a member by: their full name, else their display name (never the login handle). */
function personName(user: { real_name?: string; profile?: { real_name?: string; display_name?: string } } | undefined): string | null {
  const name = [user?.profile?.real_name, user?.real_name, user?.profile?.display_name].find(
    (candidate) => typeof candidate === 'string' && candidate.trim() !== '',
  );
  return name?.trim() ?? null;
}
