import type { AutomaticNoticePayload } from '../../automatic-rotation/automatic-follow-ups.js';
import { code, escapeWithin } from './mrkdwn.js';
import { textMessage, type SlackMessage } from './slack-message.js';

/**
 * What Rotor says about a rotation it does by itself when something goes wrong: the error, what
 * Rotor does next, and what a person can do. Never a value: the error is the step's own message.
 */
export function automaticRotationNotice(notice: AutomaticNoticePayload): SlackMessage {
  const name = code(notice.secret);
  const where = notice.step ? `“${escapeWithin(notice.step, 200)}”` : 'opening the rotation';
  const error = escapeWithin(notice.error, 1_500);
  const rotation = notice.rotation === null ? '' : ` (rotation #${notice.rotation})`;
  switch (notice.event) {
    case 'failed': {
      const next = notice.retryAt
        ? `Rotor tries again at ${notice.retryAt} and backs off after each failure; after repeated failures setting it at its target it tries a fresh value, then stops and escalates.`
        : 'Rotor does not retry this one.';
      return textMessage(
        `:warning: The automatic rotation of ${name}${rotation} failed at ${where}: ${error}\n${next}\n*What to do:* fix what the error names (the target, the managing credential, the store); to do it yourself now, run \`/rotate ${notice.secret}\` and take it over.`,
      );
    }
    case 'removal_failed':
      return textMessage(
        `:warning: Rotor could not remove the previous version of ${name}${rotation} at the end of its retention window: ${error}\nIt tries again${notice.retryAt ? ` at ${notice.retryAt}` : ''}; the old credential keeps working meanwhile. *What to do:* fix what the error names, or remove it yourself from \`/rotate ${notice.secret}\`.`,
      );
    case 'stopped':
      return textMessage(
        `:rotating_light: Rotor stopped rotating ${name}${rotation} by itself after ${notice.failures} failure${notice.failures === 1 ? '' : 's'} at ${where}: ${error}\nIt is escalated to you as an overdue secret would be. *What to do:* fix what the error names, then run \`/rotate ${notice.secret}\` to rotate it (or continue the open rotation).`,
      );
  }
}
