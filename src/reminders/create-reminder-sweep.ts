import type { Services } from '../services.js';
import { ReminderLedgerRepo } from './reminder-ledger-repo.js';
import type { ReminderNotifier } from './reminder-notifier.js';
import { ReminderSweepService, type SweepOptions } from './reminder-sweep-service.js';
import { SweepLogRepo } from '../storage/sweep-log-repo.js';

/** The sweep over one database, for the bot, the CLI and tests alike. */
export function createReminderSweep(services: Services, notifier: ReminderNotifier, options: Partial<SweepOptions> = {}): ReminderSweepService {
  return new ReminderSweepService(
    {
      ledger: new ReminderLedgerRepo(services.db),
      directory: services.recipients,
      sweepLog: new SweepLogRepo(services.db),
      notifier,
      audit: services.audit,
      clock: services.clock,
      policy: services.policy,
    },
    options,
  );
}
