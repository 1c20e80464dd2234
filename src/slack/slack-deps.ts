import type { Logger } from 'pino';
import { dueSoonDays as dueSoonDaysOf } from '../inventory/secret-summary.js';
import type { ReminderActionsService } from '../reminders/reminder-actions-service.js';
import type { Services } from '../services.js';

/** What every listener receives: the domain services and a logger. Listeners never open SQL themselves. */
export interface SlackDeps {
  services: Services;
  logger: Logger;
  /** The reminder DM's buttons; absent, their listeners are not registered. */
  reminderActions?: ReminderActionsService;
}

/** The warning window that makes a secret "due soon": the earliest reminder offset. */
export function dueSoonDays(deps: SlackDeps): number {
  return dueSoonDaysOf(deps.services.policy);
}
