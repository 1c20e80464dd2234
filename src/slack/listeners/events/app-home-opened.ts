import type { App } from '@slack/bolt';
import { dueSoonDays, type SlackDeps } from '../../slack-deps.js';
import { homeView } from '../../views/home-view.js';

/** Publishes the Home tab each time a person opens it, so it is never stale. */
export function registerAppHome(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    const secrets = deps.runtime.services.inventory.ownedBy(event.user);
    const mine = new Set(secrets.map((secret) => secret.name));
    const { holding, awaitingMyApproval, open } = deps.runtime.rotation.forPerson(event.user);
    const rotations = [...holding, ...open.filter((record) => mine.has(record.rotation.secretName) && !holding.includes(record))];
    const view = homeView({ userId: event.user, secrets, rotations, awaitingApproval: awaitingMyApproval }, deps.runtime.services.clock.now(), dueSoonDays(deps));
    await client.views.publish({ user_id: event.user, view });
  });
}
