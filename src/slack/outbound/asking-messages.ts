import { DeliveryError, type MessageRef } from '../../core/delivery.js';
import type { FollowUp } from '../../follow-ups/follow-up.js';
import type { FollowUpRepo } from '../../follow-ups/follow-up-repo.js';
import type { SlackMessage } from '../views/slack-message.js';
import type { SlackPoster } from './slack-poster.js';

/**
 * Messages that asked someone for something (an approval, an acknowledgement, a status
 * update, a sign-off) and carry its buttons. Where each one is in Slack is recorded durably by
 * the follow-up that posted it (its outcome's channel and ts), so when the rotation or the
 * incident moves on, each is redrawn in place to say what happened: no stale Approve under a
 * rejected rotation, no Sign off after the sign-off. A message redrawn for good is marked in
 * that outcome, and left alone after.
 */

/** A posted ask, found by the follow-up that posted it. */
export interface PostedAsk {
  followUp: FollowUp;
  ref: MessageRef;
}

/** The asks the topic's follow-ups of `kinds` posted, not yet closed. */
export function openAsks(repo: FollowUpRepo, topic: string, kinds: readonly string[]): PostedAsk[] {
  return repo.ofTopic(topic).flatMap((followUp) => {
    const outcome = followUp.outcome;
    if (followUp.state !== 'done' || !kinds.includes(followUp.kind) || !outcome || outcome.closed === true) return [];
    if (typeof outcome.channel !== 'string' || typeof outcome.ts !== 'string') return [];
    return [{ followUp, ref: { channel: outcome.channel, ts: outcome.ts } }];
  });
}

/**
 * Redraws every ask whose question is over, as `closing` renders it (null: still open, left as
 * it is), and records it closed. A message Slack will not update any more (deleted, the person
 * gone) is recorded closed as well; an unclear answer or a rate limit is thrown, so the
 * follow-up runs again (a redraw is safe to repeat).
 */
export async function closeAsks(
  repo: FollowUpRepo,
  poster: SlackPoster,
  asks: readonly PostedAsk[],
  closing: (ask: PostedAsk) => SlackMessage | null,
): Promise<number> {
  let closed = 0;
  for (const ask of asks) {
    const message = closing(ask);
    if (!message) continue;
    try {
      await poster.update(ask.ref, message);
    } catch (error) {
      if (!(error instanceof DeliveryError) || error.failure === 'ambiguous' || error.failure === 'rate_limited') throw error;
    }
    repo.amendOutcome(ask.followUp.id, { closed: true });
    closed += 1;
  }
  return closed;
}
