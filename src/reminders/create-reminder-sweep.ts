import type { GroupMembers } from '../access/role-members.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import type { Db } from '../storage/database.js';
import type { RecipientDirectoryRepo } from './recipient-directory-repo.js';
import { ReminderLedgerRepo } from './reminder-ledger-repo.js';
import type { ReminderNotifier } from './reminder-notifier.js';
import { ReminderSweepService, type SweepOptions } from './reminder-sweep-service.js';
import { SweepLogRepo } from '../storage/sweep-log-repo.js';

/** The sweep over one database, for the bot, the CLI and tests alike. */
export function createReminderSweep(
  services: { db: Db; recipients: RecipientDirectoryRepo; audit: AuditLog; clock: Clock; policy: Policy; userGroups?: GroupMembers },
  notifier: ReminderNotifier,
  options: Partial<SweepOptions> = {},
): ReminderSweepService {
  return new ReminderSweepService(
    {
      ledger: new ReminderLedgerRepo(services.db),
      directory: services.recipients,
      sweepLog: new SweepLogRepo(services.db),
      notifier,
      audit: services.audit,
      clock: services.clock,
      policy: services.policy,
      ...(services.userGroups ? { groups: services.userGroups } : {}),
    },
    options,
  );
}
