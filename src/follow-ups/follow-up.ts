/** A follow-up's place in its life: see migrations/0003_follow_ups.sql. */
export type FollowUpState = 'pending' | 'claimed' | 'done' | 'failed' | 'cancelled';

export type FollowUpPayload = Record<string, unknown>;

/** Something Rotor must do later, once: kind (what), topic (about what), when. */
export interface FollowUpRequest {
  kind: string;
  topic: string;
  /** Distinguishes the members of a repeating series; empty for a one-off. */
  occurrence?: string;
  /** ISO instant. */
  dueAt: string;
  /** Ids and facts the handler needs; never a secret value, never typed free text it can re-read. */
  payload?: FollowUpPayload;
}

export interface FollowUp {
  id: number;
  kind: string;
  topic: string;
  occurrence: string;
  dueAt: string;
  payload: FollowUpPayload;
  state: FollowUpState;
  claimToken: string | null;
  claimedAt: string | null;
  attempts: number;
  lastError: string | null;
  outcome: FollowUpPayload | null;
  createdAt: string;
  doneAt: string | null;
}

/** What doing a follow-up produced: evidence to keep, and follow-ups to schedule next (a repeat). */
export interface FollowUpResult {
  outcome?: FollowUpPayload;
  then?: readonly FollowUpRequest[];
}

/**
 * Does one kind of follow-up. `run` performs it; it runs at most once per claim, but a crash
 * after its effect and before the mark leaves a stale claim, which `reconcile` settles: it says
 * whether the interrupted run took effect (e.g. its message is in Slack) so nothing is done twice.
 * A run that changes only the database should make its change idempotent (check state first).
 */
export interface FollowUpHandler {
  kind: string;
  run(followUp: FollowUp): Promise<FollowUpResult>;
  /** The result of an interrupted run that did take effect, or null when it did not (run it again). */
  reconcile(followUp: FollowUp): Promise<FollowUpResult | null>;
}

/** The follow-up's identity in Slack message metadata, to find a post a crash interrupted. */
export function followUpKey(followUp: Pick<FollowUp, 'kind' | 'topic' | 'occurrence'>): string {
  return [followUp.kind, followUp.topic, followUp.occurrence].join('|');
}

export const FOLLOW_UP_METADATA_EVENT_TYPE = 'rotor_follow_up';
