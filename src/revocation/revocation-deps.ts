import type { GroupMembers } from '../access/role-members.js';
import type { Authorizer } from '../access/authorize.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { ProviderOperationsService } from '../providers/provider-operations-service.js';
import type { StoreCatalog } from '../providers/store-kind.js';
import type { RotationService } from '../rotation/rotation-service.js';
import type { Db } from '../storage/database.js';
import type { Incident } from './incident.js';
import type { IncidentRepo } from './incident-repo.js';

/** What happened, for metrics. */
export type IncidentMetricEvent =
  | { kind: 'opened' | 'closed'; incident: Incident }
  | { kind: 'acknowledged' | 'disabled' | 'rotated'; incident: Incident; seconds: number };

export interface RevocationServiceDeps {
  db: Db;
  repo: IncidentRepo;
  inventory: InventoryRepo;
  inventoryService: InventoryService;
  /** The store kinds: what each can do, and how it says a version is still live. */
  stores: StoreCatalog;
  authorizer: Authorizer;
  audit: AuditLog;
  followUps: FollowUpService;
  rotation: RotationService;
  /** Reads the store back before an incident closes (is the compromised version disabled?). */
  operations: Pick<ProviderOperationsService, 'validate'>;
  clock: Clock;
  policy: Policy;
  /** Who is in which Slack user group, as Slack last said: a role on the paging order may name user groups. */
  groups?: GroupMembers;
  /** Runs due follow-ups soon: the status message and the pages go out now, not at the next sweep. */
  kickFollowUps?: () => void;
  onEvent?: (event: IncidentMetricEvent) => void;
}
