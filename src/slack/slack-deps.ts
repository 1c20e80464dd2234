import type { ReplicationReview } from '../reviews/replication-review.js';
import type { ReviewService } from '../reviews/review-service.js';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Policy } from '../config/policy.js';
import type { UserGroupRepo } from '../access/user-group-repo.js';
import type { InventoryReader } from '../inventory/inventory-reader.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { OwnershipService } from '../inventory/ownership-service.js';
import type { ReferenceChangeService } from '../inventory/reference-change-service.js';
import type { WarningWindow } from '../inventory/schedule.js';
import { dueSoonDays as dueSoonDaysOf } from '../inventory/secret-summary.js';
import type { DepartureService } from '../personnel/departure-service.js';
import type { StoreCatalog } from '../providers/store-kind.js';
import type { CalendarFeed } from '../reminders/calendar-feed-token.js';
import type { RecipientDirectoryRepo } from '../reminders/recipient-directory-repo.js';
import type { ReminderActionsService } from '../reminders/reminder-actions-service.js';
import type { RevocationService } from '../revocation/revocation-service.js';
import type { RotationService } from '../rotation/rotation-service.js';
import type { BreakGlassService } from '../rotation-needs/break-glass-service.js';
import type { RotationNeedService } from '../rotation-needs/rotation-need-service.js';
import type { PlanService } from '../rotation-plans/plan-service.js';
import type { WindowService } from '../rotation-windows/window-service.js';
import type { RotationViewRepo } from './rotation-view-repo.js';
import type { WorkflowStepService } from '../workflow-steps/workflow-step-service.js';

/**
 * The services the Slack listeners use, each named: built once by the composition root
 * (`slackServices` in src/runtime.ts). Each listener takes a `Pick` of what it asks; none
 * reaches the whole runtime, and none opens SQL itself.
 */
export interface SlackDeps {
  logger: Logger;
  clock: Clock;
  policy: Policy;
  /** The store kinds: their labels and by-hand commands in messages, their reference syntax in forms. */
  stores: StoreCatalog;
  inventory: InventoryRepo;
  inventoryService: InventoryService;
  /** The inventory as the person asking may see it: every read a person asks for in Slack. */
  inventoryReader: InventoryReader;
  recipients: RecipientDirectoryRepo;
  userGroups: UserGroupRepo;
  rotationNeeds: RotationNeedService;
  rotation: RotationService;
  /** The rotation modals people have open: the adapter's own table. */
  rotationViews: RotationViewRepo;
  /** Planned windows of rotations: planned and overridden from the rotation modal. */
  windows: WindowService;
  /** Environments in order: `/rotate <registry key>` offers and starts a plan. */
  plans: PlanService;
  revocation: RevocationService;
  ownership: OwnershipService;
  references: ReferenceChangeService;
  reminderActions: ReminderActionsService;
  breakGlass: BreakGlassService;
  departures: DepartureService;
  workflowSteps: WorkflowStepService;
  /** The access review's answers (the owners' buttons). */
  reviews: ReviewService;
  /** `/secrets review`'s check of the policy's required replica regions, read from the stores. */
  replication: ReplicationReview;
  /** The calendar feed's token and Rotor's public address; null when the feed is off. */
  calendarFeed: CalendarFeed | null;
}

/** The warnings that make a secret "due soon": the reminder offsets (see dueSoonWindow). */
export function dueSoonDays(deps: Pick<SlackDeps, 'policy'>): WarningWindow {
  return dueSoonDaysOf(deps.policy);
}
