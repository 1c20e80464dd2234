import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { personalFeedLink } from '../../../reminders/calendar-feed-token.js';
import { dueSoonDays, type SlackDeps } from '../../slack-deps.js';
import { homeView } from '../../views/home-view.js';
import type { Secret } from '../../../inventory/secret.js';
import { effectiveDueDay } from '../../../rotation-needs/rotation-need.js';

/** What the App Home shows is read from. */
export type HomeDeps = Pick<SlackDeps, 'inventory' | 'rotationNeeds' | 'rotation' | 'calendarFeed' | 'clock' | 'policy'>;

/** Publishes the Home tab each time a person opens it, so it is never stale. */
export function registerAppHome(app: App, deps: HomeDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await publishHome(deps, client, event.user);
  });
}

/** Draws a person's Home tab from the database: their secrets, rotations in progress, what awaits their approval. */
export async function publishHome(deps: HomeDeps, client: WebClient, userId: string): Promise<void> {
  const owned = deps.inventory.ownedBy(userId);
  const needs = deps.rotationNeeds.openFor(owned.map((secret) => secret.id));
  // Most urgent first, counting the date an open rotation need brings forward.
  const dueOf = (secret: Secret) => effectiveDueDay(secret.nextRotation, needs.get(secret.id) ?? []);
  const secrets = [...owned].sort((a, b) => dueOf(a).localeCompare(dueOf(b)) || a.name.localeCompare(b.name));
  const mine = new Set(secrets.map((secret) => secret.name));
  const { holding, awaitingMyApproval, open } = deps.rotation.forPerson(userId);
  const rotations = [...holding, ...open.filter((record) => mine.has(record.rotation.secretName) && !holding.includes(record))];
  const feed = deps.calendarFeed;
  const view = homeView(
    {
      userId,
      secrets,
      rotations,
      awaitingApproval: awaitingMyApproval,
      needs,
      ...(feed ? { calendarLink: personalFeedLink(feed, userId) } : {}),
    },
    deps.clock.now(),
    dueSoonDays(deps),
  );
  await client.views.publish({ user_id: userId, view });
}
