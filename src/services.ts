import { AuditLog } from './audit/audit-log.js';
import type { Policy } from './config/policy.js';
import type { Clock } from './core/clock.js';
import { InventoryRepo } from './inventory/inventory-repo.js';
import { InventoryService } from './inventory/inventory-service.js';
import type { Db } from './storage/database.js';

/** The domain services over one database, shared by the bot and the CLI. */
export interface Services {
  db: Db;
  clock: Clock;
  policy: Policy;
  audit: AuditLog;
  inventory: InventoryRepo;
  inventoryService: InventoryService;
}

export function createServices(db: Db, clock: Clock, policy: Policy): Services {
  const audit = new AuditLog(db, clock);
  const inventory = new InventoryRepo(db);
  const inventoryService = new InventoryService(db, inventory, audit, clock, policy);
  return { db, clock, policy, audit, inventory, inventoryService };
}
