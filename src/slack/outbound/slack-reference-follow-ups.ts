import { REFERENCE_FOLLOW_UPS, referenceRequestIdOfTopic } from '../../inventory/reference-follow-ups.js';
import type { SlackFollowUpDeps } from './slack-follow-up-deps.js';
import {
  referenceChangedMessage,
  referenceDecidedMessage,
  referenceRequestMessage,
  type ReferenceChangedNotice,
} from '../views/reference-change-messages.js';
import { messageFollowUp } from './message-follow-up.js';
import type { SlackPoster } from './slack-poster.js';

/**
 * What a change of where a secret is stored sends: security told of the move (from the payload:
 * the move as it was made, whatever happened since), the request DMs with Approve / Reject
 * (moot once decided), and the asker's answer.
 */
export function registerReferenceSlackFollowUps(deps: Pick<SlackFollowUpDeps, 'followUps' | 'references'>, poster: SlackPoster): void {
  const { followUps, references } = deps;
  const requestOf = (topic: string) => {
    const id = referenceRequestIdOfTopic(topic);
    return id === null ? null : references.find(id);
  };
  followUps.service.register(
    messageFollowUp(REFERENCE_FOLLOW_UPS.changed, poster, (followUp) => {
      const { payload } = followUp;
      const to = typeof payload.user === 'string' ? { user: payload.user } : { channel: String(payload.channel) };
      const move = payload as unknown as ReferenceChangedNotice;
      return { to, message: referenceChangedMessage(move) };
    }),
  );
  followUps.service.register(
    messageFollowUp(REFERENCE_FOLLOW_UPS.request, poster, (followUp) => {
      const request = requestOf(followUp.topic);
      return request?.state === 'pending'
        ? { to: { user: String(followUp.payload.user) }, message: referenceRequestMessage(request) }
        : null;
    }),
  );
  followUps.service.register(
    messageFollowUp(REFERENCE_FOLLOW_UPS.decided, poster, (followUp) => {
      const request = requestOf(followUp.topic);
      return request && request.state !== 'pending'
        ? { to: { user: String(followUp.payload.user) }, message: referenceDecidedMessage(request) }
        : null;
    }),
  );
}
