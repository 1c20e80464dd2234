import { Authorizer } from './access/authorize.js';
import { RefusalLog } from './access/refusal-log.js';
import { RefusalWindowRepo } from './access/refusal-window-repo.js';
import { UserGroupRepo } from './access/user-group-repo.js';
import { AuditLog } from './audit/audit-log.js';
import type { Policy } from './config/policy.js';
import { isoInstant, type Clock } from './core/clock.js';
import type { HmacKeyring } from './core/hmac-keyring.js';
import { InventoryReader } from './inventory/inventory-reader.js';
import { InventoryRepo } from './inventory/inventory-repo.js';
import { FollowUpRepo } from './follow-ups/follow-up-repo.js';
import { InventoryService } from './inventory/inventory-service.js';
import { ReferenceLocks } from './inventory/reference-locks.js';
import { SecretHistoryRepo } from './inventory/secret-history-repo.js';
import { BUILT_IN_STORES } from './providers/store-catalog.js';
import type { StoreCatalog } from './providers/store-kind.js';
import { RecipientDirectoryRepo } from './reminders/recipient-directory-repo.js';
import { RotationNeedRepo } from './rotation-needs/rotation-need-repo.js';
import { RotationNeedService } from './rotation-needs/rotation-need-service.js';
import type { Db } from './storage/database.js';
import { RotationWindowRepo } from './rotation-windows/window-repo.js';

/** The core domain services over one database: what every runtime (bot, CLI, tests) starts from. */
export interface Services {
  db: Db;
  clock: Clock;
  policy: Policy;
  /** The store kinds Rotor knows (src/providers/store-catalog.ts, unless a test brings its own). */
  stores: StoreCatalog;
  audit: AuditLog;
  authorizer: Authorizer;
  /** The audit record of refusals: repeats within a minute are counted, not logged one by one. */
  refusals: RefusalLog;
  inventory: InventoryRepo;
  inventoryService: InventoryService;
  /** The inventory as one person may see it (the policy's `visibility`): every read a person asks for in Slack. */
  inventoryReader: InventoryReader;
  /** Who is in which Slack user group, as Slack last said. */
  userGroups: UserGroupRepo;
  /** When secrets changed, read from the audit log (lifecycle days, calendar revisions). */
  history: SecretHistoryRepo;
  /** What Slack said about people Rotor reminds, and the review flags a missing owner raises. */
  recipients: RecipientDirectoryRepo;
  /** Rotations needed before a secret's own date: a person left, a break-glass use, a release. */
  rotationNeeds: RotationNeedService;
  /** Planned rotation windows: the rotation service locks steps by them, the calendar shows them. */
  windows: RotationWindowRepo;
}

/** `auditKeys`: ROTOR_AUDIT_KEY's keyring; without it the audit chain is plain SHA-256. `stores`: the built-in ones unless given. */
export function createServices(
  db: Db,
  clock: Clock,
  policy: Policy,
  options: { auditKeys?: HmacKeyring | null; stores?: StoreCatalog } = {},
): Services {
  const stores = options.stores ?? BUILT_IN_STORES;
  const audit = new AuditLog(db, clock, options.auditKeys ?? null);
  const refusals = new RefusalLog({ db, repo: new RefusalWindowRepo(db), audit, clock });
  const userGroups = new UserGroupRepo(db);
  const authorizer = new Authorizer(policy, refusals, userGroups);
  const inventory = new InventoryRepo(db);
  const followUps = new FollowUpRepo(db);
  const inventoryService = new InventoryService({
    repo: inventory,
    audit,
    authorizer,
    clock,
    policy,
    groups: userGroups,
    stores,
    locks: new ReferenceLocks(db),
    followUps: { schedule: (request) => followUps.schedule(request, isoInstant(clock.now())) },
  });
  const rotationNeeds = new RotationNeedService({ repo: new RotationNeedRepo(db), audit, clock });
  const inventoryReader = new InventoryReader({ repo: inventory, policy, refusals, userGroups });
  return {
    db,
    clock,
    policy,
    stores,
    audit,
    authorizer,
    refusals,
    inventory,
    inventoryService,
    inventoryReader,
    userGroups,
    history: new SecretHistoryRepo(db),
    recipients: new RecipientDirectoryRepo(db),
    rotationNeeds,
    windows: new RotationWindowRepo(db),
  };
}
