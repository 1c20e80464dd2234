import {
  FOLLOW_UP_METADATA_EVENT_TYPE,
  followUpKey,
  type FollowUp,
  type FollowUpHandler,
  type FollowUpResult,
} from '../../follow-ups/follow-up.js';
import type { SlackMessage } from '../views/slack-message.js';
import type { Conversation, SlackPoster } from './slack-poster.js';

/** What one follow-up posts: where (a person's DM or a channel) and the message; null when it is moot. */
export interface FollowUpPost {
  to: Conversation;
  message: SlackMessage;
  /** Posts as a reply in this thread of the channel. */
  threadTs?: string;
  /** Follow-ups to schedule once this one is posted (e.g. the next daily reminder). */
  then?: FollowUpResult['then'];
}

/**
 * A follow-up that posts one Slack message, exactly once: the post carries the follow-up's key in
 * its metadata, so after a crash between the post and the mark, reconciliation finds the message
 * (in the channel's history, or a reply in its thread) instead of posting it again. `render` reads what it needs from the database when the follow-up
 * fires; returning null (the rotation was abandoned meanwhile, say) marks it done with nothing sent.
 */
export function messageFollowUp(kind: string, poster: SlackPoster, render: (followUp: FollowUp) => FollowUpPost | null): FollowUpHandler {
  const metadataFor = (followUp: FollowUp) => ({ eventType: FOLLOW_UP_METADATA_EVENT_TYPE, payload: { key: followUpKey(followUp) } });
  return {
    kind,
    async run(followUp) {
      const post = render(followUp);
      if (!post) return { outcome: { skipped: true } };
      const channel = 'channel' in post.to ? post.to.channel : post.to.user;
      const ref = await poster.post(channel, post.message, metadataFor(followUp), post.threadTs);
      return { outcome: { channel: ref.channel, ts: ref.ts }, ...(post.then ? { then: post.then } : {}) };
    },
    async reconcile(followUp) {
      const post = render(followUp);
      if (!post) return { outcome: { skipped: true } };
      const key = followUpKey(followUp);
      const mine = (payload: Record<string, unknown>) => payload.key === key;
      // A reply is not in the channel's history: it is looked for in its thread.
      const found =
        post.threadTs && 'channel' in post.to
          ? await poster.findReplyByMetadata({ channel: post.to.channel, ts: post.threadTs }, FOLLOW_UP_METADATA_EVENT_TYPE, mine)
          : await poster.findByMetadata(post.to, FOLLOW_UP_METADATA_EVENT_TYPE, mine);
      return found ? { outcome: { channel: found.channel, ts: found.ts }, ...(post.then ? { then: post.then } : {}) } : null;
    },
  };
}
