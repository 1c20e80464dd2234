import { AuditLog } from './audit/audit-log.js';
import type { Policy } from './config/policy.js';
import type { Clock } from './core/clock.js';
import type { HmacKeyring } from './core/hmac-keyring.js';
import { InventoryRepo } from './inventory/inventory-repo.js';
import { InventoryService } from './inventory/inventory-service.js';
import { RecipientDirectoryRepo } from './reminders/recipient-directory-repo.js';
import type { Db } from './storage/database.js';

/** The domain services over one database, shared by the bot and the CLI. */
export interface Services {
  db: Db;
  clock: Clock;
  policy: Policy;
  audit: AuditLog;
  inventory: InventoryRepo;
  inventoryService: InventoryService;
  /** What Slack said about people Rotor reminds, and the review flags a missing owner raises. */
  recipients: RecipientDirectoryRepo;
}

/** `auditKeys`: ROTOR_AUDIT_KEY's keyring; without it the audit chain is plain SHA-256. */
export function createServices(db: Db, clock: Clock, policy: Policy, options: { auditKeys?: HmacKeyring | null } = {}): Services {
  const audit = new AuditLog(db, clock, options.auditKeys ?? null);
  const inventory = new InventoryRepo(db);
  const inventoryService = new InventoryService(db, inventory, audit, clock, policy);
  return { db, clock, policy, audit, inventory, inventoryService, recipients: new RecipientDirectoryRepo(db) };
}
