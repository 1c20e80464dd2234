import type { Authorizer } from '../access/authorize.js';
import type { GroupMembers } from '../access/role-members.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuditTrailRepo } from '../audit/audit-trail-repo.js';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { TargetAccess } from './steps/target-access.js';
import type { ProviderOperationsService } from '../providers/provider-operations-service.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import type { RotationNeed } from '../rotation-needs/rotation-need.js';
import type { IncidentLink } from './incident-link.js';
import type { Rotation } from './rotation.js';
import type { PeopleLookup } from './rotation-preflight.js';
import type { RotationRepo } from './rotation-repo.js';
import type { RotationWindowReader } from './rotation-window.js';
import type { RotationSubscriptions } from './rotation-subscribers.js';

/** What happened, for metrics. */
export interface RotationEvent {
  kind: 'started' | 'completed' | 'abandoned' | 'rejected' | 'rolled_back';
  rotation: Rotation;
  /** For `completed`: seconds from start to completion. */
  durationSeconds?: number;
}

export interface RotationServiceDeps {
  repo: RotationRepo;
  inventory: InventoryRepo;
  inventoryService: InventoryService;
  operations: ProviderOperationsService;
  registry: ProviderRegistry;
  authorizer: Authorizer;
  audit: AuditLog;
  /** Reads the rotation's own audit events (what was done outside its state, like the removal of the previous version). */
  trail: AuditTrailRepo;
  followUps: FollowUpService;
  /** Asks Slack whether approvers are still there; null without Slack. */
  people: PeopleLookup | null;
  clock: Clock;
  policy: Policy;
  /** Who is in which Slack user group, as Slack last said: a defined role may name user groups. */
  groups?: GroupMembers;
  /** Runs due follow-ups soon (approval requests go out at once, not at the next sweep). */
  kickFollowUps?: () => void;
  onEvent?: (event: RotationEvent) => void;
  /** What an emergency rotation asks of its incident (read from the incidents' table). */
  incidents: IncidentLink;
  /** Who follows rotations (incidents, workflow steps, plans): told of every change, asked before a scheduled start. */
  subscribers: RotationSubscriptions;
  /** Open rotation needs (a person left, a break-glass use, a release): the earliest gives a rotation its reason. */
  /** Where secrets' credentials are set at their targets; absent: the built-in PostgreSQL and Redis targets over this inventory. */
  targets?: TargetAccess;
  needs?: { openFor(secretIds: readonly number[]): ReadonlyMap<number, readonly RotationNeed[]> };
  /** Planned windows: outside its window a rotation's irreversible steps stay locked (src/rotation-windows). */
  windows?: RotationWindowReader;
}
