import { AUTOMATIC_FOLLOW_UPS, type AutomaticNoticePayload } from '../../automatic-rotation/automatic-follow-ups.js';
import { automaticRotationNotice } from '../views/automatic-rotation-messages.js';
import { messageFollowUp } from './message-follow-up.js';
import type { SlackFollowUpDeps } from './slack-follow-up-deps.js';
import type { SlackPoster } from './slack-poster.js';

/** Automatic rotation's notices: to a person by DM or to the announcement channel, each once. */
export function registerAutomaticSlackFollowUps(deps: Pick<SlackFollowUpDeps, 'followUps'>, poster: SlackPoster): void {
  deps.followUps.service.register(
    messageFollowUp(AUTOMATIC_FOLLOW_UPS.notice, poster, (followUp) => {
      const notice = followUp.payload as unknown as AutomaticNoticePayload;
      const to =
        typeof notice.user === 'string' ? { user: notice.user } : typeof notice.channel === 'string' ? { channel: notice.channel } : null;
      return to ? { to, message: automaticRotationNotice(notice) } : null;
    }),
  );
}
