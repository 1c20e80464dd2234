/**
 * One step of a rotation checklist, as a rotation snapshots it when it starts. Steps run
 * strictly in order: a step can be done once every earlier step is done or skipped.
 */

export const STEP_ACTIONS = [
  'create_version',
  'detect_version',
  'await_provider_rotation',
  'promote',
  'verify',
  'schedule_removal',
  'disable_compromised',
  'set_at_target',
  'verify_at_target',
  'lock_at_target',
] as const;
export type StepAction = (typeof STEP_ACTIONS)[number];

export const STEP_GATES = ['approval'] as const;
export type StepGate = (typeof STEP_GATES)[number];

export interface ChecklistStep {
  /** Unique within a checklist, {@link STEP_ID}. */
  id: string;
  /** Imperative, at most {@link MAX_STEP_TITLE_LENGTH} characters (fits a Slack button or option). */
  title: string;
  /** How to do it and how to check it, from the playbooks; placeholders already resolved. */
  detail: string | null;
  /** Null: a person ticks it (optional note). Otherwise Rotor performs it at the provider. */
  action: StepAction | null;
  /** A required step cannot be skipped; an optional one can, with a reason. */
  required: boolean;
  /** `approval`: may not be done until the rotation's approvals are complete. */
  gate: StepGate | null;
}

/** A resolved checklist, frozen so that nothing changes a rotation's snapshot in flight. */
export type ChecklistSnapshot = readonly Readonly<ChecklistStep>[];

export const STEP_ID = /^[a-z][a-z0-9_]{0,39}$/;
export const MAX_STEP_TITLE_LENGTH = 75;
/** Well under Slack's 3,000 characters of a section's text, leaving room for markup. */
export const MAX_STEP_DETAIL_LENGTH = 2000;
/** A modal holds at most 100 blocks; a step takes a few. */
export const MAX_CHECKLIST_STEPS = 25;

/**
 * What a step does, whatever the provider: the creation actions are one family because a
 * checklist has exactly one way of getting the new version, chosen by provider and value source.
 */
export type StepFamily =
  | 'creation'
  | 'promote'
  | 'verify'
  | 'schedule_removal'
  | 'disable'
  | 'set_at_target'
  | 'verify_at_target'
  | 'lock_at_target';

export function familyOfAction(action: StepAction): StepFamily {
  switch (action) {
    case 'create_version':
    case 'detect_version':
    case 'await_provider_rotation':
      return 'creation';
    case 'disable_compromised':
      return 'disable';
    default:
      return action;
  }
}
