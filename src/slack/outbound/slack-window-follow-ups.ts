import { WINDOW_FOLLOW_UPS, windowIdOfTopic, type WindowNotice } from '../../rotation-windows/window-service.js';
import { windowNotice } from '../views/rotation/window-views.js';
import { messageFollowUp } from './message-follow-up.js';
import type { SlackFollowUpDeps } from './slack-follow-up-deps.js';
import type { SlackPoster } from './slack-poster.js';

/**
 * A planned window's notices to the announcement and consumer channels: at planning, the lead
 * time before, and at its start. Each renders when it fires; a window replaced meanwhile, or
 * whose rotation ended, sends nothing more.
 */
export function registerWindowSlackFollowUps(deps: Pick<SlackFollowUpDeps, 'followUps' | 'windows'>, poster: SlackPoster): void {
  const { followUps, windows } = deps;
  for (const notice of Object.keys(WINDOW_FOLLOW_UPS) as WindowNotice[]) {
    followUps.service.register(
      messageFollowUp(WINDOW_FOLLOW_UPS[notice], poster, (followUp) => {
        const id = windowIdOfTopic(followUp.topic);
        const window = id !== null && windows.isLive(id) ? windows.get(id) : null;
        const channel = followUp.payload.channel;
        return window && typeof channel === 'string' ? { to: { channel }, message: windowNotice(notice, window) } : null;
      }),
    );
  }
}
