import type { Policy } from '../../config/policy.js';
import type { FollowUpRepo } from '../../follow-ups/follow-up-repo.js';
import type { FollowUpService } from '../../follow-ups/follow-up-service.js';
import type { InventoryRepo } from '../../inventory/inventory-repo.js';
import type { InventoryService } from '../../inventory/inventory-service.js';
import type { ReferenceChangeService } from '../../inventory/reference-change-service.js';
import type { StoreCatalog } from '../../providers/store-kind.js';
import type { RevocationService } from '../../revocation/revocation-service.js';
import type { RotationService } from '../../rotation/rotation-service.js';
import type { PlanService } from '../../rotation-plans/plan-service.js';
import type { RotationWindowRepo } from '../../rotation-windows/window-repo.js';
import type { RotationNeedService } from '../../rotation-needs/rotation-need-service.js';

/** What the follow-ups that post to Slack read and register with, each named: built by the composition root (src/runtime.ts). */
export interface SlackFollowUpDeps {
  policy: Policy;
  stores: StoreCatalog;
  inventory: InventoryRepo;
  inventoryService: InventoryService;
  rotationNeeds: RotationNeedService;
  followUps: { service: FollowUpService; repo: FollowUpRepo };
  rotation: RotationService;
  revocation: RevocationService;
  references: ReferenceChangeService;
  windows: RotationWindowRepo;
  plans: PlanService;
}
