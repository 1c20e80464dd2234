import { createHmac } from 'node:crypto';

/**
 * The token of one person's calendar feed (`/calendar.ics?user=U…&token=…`): an HMAC of their
 * member id under ROTOR_CALENDAR_TOKEN. Nothing is stored, each person's token opens only their
 * own feed, and changing ROTOR_CALENDAR_TOKEN revokes every feed at once.
 */
export function personalFeedToken(calendarToken: string, userId: string): string {
  return createHmac('sha256', calendarToken).update(`rotor calendar feed\0${userId}`).digest('base64url');
}

/** The calendar feed: ROTOR_CALENDAR_TOKEN, and ROTOR_PUBLIC_URL (null: unknown, links name only the path). */
export interface CalendarFeed {
  token: string;
  publicUrl: string | null;
}

/** A person's feed address: whole when Rotor's public address is known, else its path and query. */
export function personalFeedLink(feed: CalendarFeed, userId: string): string {
  const path = `/calendar.ics?user=${userId}&token=${personalFeedToken(feed.token, userId)}`;
  return feed.publicUrl ? `${feed.publicUrl.replace(/\/+$/, '')}${path}` : path;
}
