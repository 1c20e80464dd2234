import { personalFeedToken } from '../../reminders/calendar-feed-token.js';
import type { CalendarFeed } from '../../runtime.js';
import { textMessage, type SlackMessage } from './slack-message.js';

/** `/secrets calendar`: the person's own feed link (ephemeral), or why there is none. */
export function calendarFeedReply(feed: CalendarFeed | null, userId: string): SlackMessage {
  if (!feed) return textMessage(':warning: The calendar feed is off: an admin turns it on by setting `ROTOR_CALENDAR_TOKEN`.');
  const path = `/calendar.ics?user=${userId}&token=${personalFeedToken(feed.token, userId)}`;
  const link = feed.publicUrl ? `${feed.publicUrl.replace(/\/+$/, '')}${path}` : path;
  return textMessage(
    [
      `:calendar: Your rotation calendar — the overdue and upcoming rotations of the secrets you may see, with alarms 30 and 7 days before. Subscribe to this address in your calendar app:`,
      '```' + link + '```',
      feed.publicUrl ? '' : 'Put it after the address Rotor is reached at (an admin can set `ROTOR_PUBLIC_URL` so this link is whole).',
      'Anyone with this link sees what you see: keep it to yourself. An admin changing `ROTOR_CALENDAR_TOKEN` replaces every link.',
    ]
      .filter((line) => line !== '')
      .join('\n'),
  );
}
