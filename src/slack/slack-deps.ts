import type { Logger } from 'pino';
import { dueSoonDays as dueSoonDaysOf } from '../inventory/secret-summary.js';
import type { Runtime } from '../runtime.js';

/** What every listener receives: the whole runtime and a logger. Listeners never open SQL themselves. */
export interface SlackDeps {
  runtime: Runtime;
  logger: Logger;
}

/** The warning window that makes a secret "due soon": the earliest reminder offset. */
export function dueSoonDays(deps: SlackDeps): number {
  return dueSoonDaysOf(deps.runtime.services.policy);
}
