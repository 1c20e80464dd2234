/**
 * The follow-ups a rotation schedules, by kind. The rotation service schedules them (in the
 * same transaction as the change that calls for them); the Slack layer registers the handlers
 * that render and send them, reading the rotation afresh when they fire.
 */
export const ROTATION_FOLLOW_UPS = {
  /** DM to one approver with Approve / Reject; occurrence: the approver's user id. */
  approvalRequest: 'rotation.approval_request',
  /** The same DM again after a day, once, if that role is still undecided; occurrence: user id. */
  approvalReminder: 'rotation.approval_reminder',
  /** DM to the rotator: an approver decided; occurrence: `<decision>:<role>`. */
  decisionNotice: 'rotation.decision_notice',
  /** DM to the holder: untouched for a day; occurrence: `v<version>` (a newer touch makes it moot). */
  staleNudge: 'rotation.stale_nudge',
  /** DM to a security lead: untouched for three days; occurrence: `v<version>:<user id>`. */
  staleEscalation: 'rotation.stale_escalation',
  /** The completion announcement; occurrence: the channel id. */
  announce: 'rotation.announce',
  /** DM to the rotator at the end of the retention window, with Remove previous version. */
  removalDue: 'rotation.removal_due',
  /** Rollback announcement; occurrence: the channel id. */
  rolledBack: 'rotation.rolled_back',
  /**
   * A provider step's run, once its lease is over: if it is still running (its runner died) the
   * store is asked what happened; an open incident's disable step is re-driven until it holds.
   * Occurrence: `<step>:<attempt>:<lease|redrive>`; payload: the step and the attempt.
   */
  stepCheck: 'rotation.step_check',
  /**
   * A rollback's store call, once its lease is over: if the rollback is still unsettled (its
   * runner died), the store is asked whether it moved (rollback-intent.ts). Occurrence: the
   * rollback's request token.
   */
  rollbackCheck: 'rotation.rollback_check',
  /** DM to the person who held the rotation until someone else took it over; occurrence: `v<version>` of the change. */
  takenOver: 'rotation.taken_over',
  /** Redraws the approval requests whose question is over (a decision, the end of the rotation); occurrence: `v<version>` of the change. */
  requestsRedraw: 'rotation.requests_redraw',
} as const;

export type RotationFollowUpKind = (typeof ROTATION_FOLLOW_UPS)[keyof typeof ROTATION_FOLLOW_UPS];

export function rotationTopic(rotationId: number): string {
  return `rotation:${rotationId}`;
}

export function rotationIdOfTopic(topic: string): number | null {
  const match = /^rotation:(\d+)$/.exec(topic);
  return match ? Number(match[1]) : null;
}

/** How long a rotation may sit untouched before its holder is nudged, and before security is told. */
export const STALE_NUDGE_HOURS = 24;
export const STALE_ESCALATION_HOURS = 72;
/** An unanswered approval request is sent again, once, after this long. */
export const APPROVAL_RESEND_HOURS = 24;
