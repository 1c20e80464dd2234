import type { App } from '@slack/bolt';
import type { SlackDeps } from '../../slack-deps.js';

/** The part of Slack's `user_change` event Rotor reads. */
interface ChangedUser {
  id?: unknown;
  deleted?: unknown;
}

/**
 * Slack's `user_change`: a member deactivated is a departure (src/personnel) — what they could
 * read is marked rotation needed, ownership and open rotations handed over; a member reactivated
 * closes it. The same event delivered twice changes nothing the second time.
 */
export function registerUserChange(app: App, deps: Pick<SlackDeps, 'departures' | 'logger'>): void {
  app.event('user_change', async ({ event }) => {
    const user = (event as { user?: ChangedUser }).user;
    if (!user || typeof user.id !== 'string') return;
    if (user.deleted === true) {
      const outcome = deps.departures.departed(user.id, 'event');
      if (outcome.kind === 'recorded')
        deps.logger.info(
          { user: user.id, secrets: outcome.needs.length, told: outcome.asked.size },
          'departure recorded: rotations needed',
        );
      else deps.logger.info({ user: user.id, outcome: outcome.kind }, outcome.message);
    } else if (user.deleted === false) {
      deps.departures.returned(user.id);
    }
  });
}
