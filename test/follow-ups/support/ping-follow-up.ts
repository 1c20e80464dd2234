import type { Runtime } from '../../../src/runtime.js';
import { messageFollowUp } from '../../../src/slack/outbound/message-follow-up.js';
import { textMessage } from '../../../src/slack/views/slack-message.js';

/** A follow-up kind for tests only: DMs the person named in its payload. */
export const PING = 'test.ping';

export function registerPing(runtime: Runtime): void {
  if (!runtime.poster) throw new Error('the ping follow-up needs Slack (SLACK_BOT_TOKEN)');
  runtime.followUps.service.register(
    messageFollowUp(PING, runtime.poster, (followUp) => ({
      to: { user: String(followUp.payload.user) },
      message: textMessage(`ping ${followUp.topic}`),
    })),
  );
}
