import type { Logger } from 'pino';
import type { WarningWindow } from '../inventory/schedule.js';
import { dueSoonDays as dueSoonDaysOf } from '../inventory/secret-summary.js';
import type { Runtime } from '../runtime.js';

/** What every listener receives: the whole runtime and a logger. Listeners never open SQL themselves. */
export interface SlackDeps {
  runtime: Runtime;
  logger: Logger;
}

/** The warnings that make a secret "due soon": the reminder offsets (see dueSoonWindow). */
export function dueSoonDays(deps: SlackDeps): WarningWindow {
  return dueSoonDaysOf(deps.runtime.services.policy);
}
