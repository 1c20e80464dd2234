import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import { AUTOMATIC_FOLLOW_UPS } from './automatic-follow-ups.js';
import type { AutomaticRotationService } from './automatic-rotation-service.js';

/**
 * The follow-ups of automatic rotation that need no Slack: the start, the drive and the removal.
 * Each reads the rotation afresh and does nothing once it moved on, so an interrupted run is simply
 * run again (the step runner's request tokens and leases keep a step from being done twice).
 */
export function registerAutomaticRotationFollowUps(followUps: FollowUpService, automatic: AutomaticRotationService): void {
  followUps.register({
    kind: AUTOMATIC_FOLLOW_UPS.start,
    run: (followUp) => automatic.start(followUp),
    reconcile: () => Promise.resolve(null),
  });
  followUps.register({
    kind: AUTOMATIC_FOLLOW_UPS.drive,
    run: (followUp) => automatic.drive(followUp),
    reconcile: () => Promise.resolve(null),
  });
  followUps.register({
    kind: AUTOMATIC_FOLLOW_UPS.remove,
    run: (followUp) => automatic.remove(followUp),
    reconcile: () => Promise.resolve(null),
  });
}
