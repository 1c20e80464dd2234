import type { ActionsBlock, Button, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { checkResultsOf, checksFailed, type CheckResult } from '../../../checks/check-result.js';
import type { Secret } from '../../../inventory/secret.js';
import {
  rotationReasonWords,
  sayCheck,
  type ApproverRole,
  type PreflightCheck,
  type RotationRecord,
  type RotationStep,
} from '../../../rotation/rotation.js';
import type { ChecklistSnapshot, StepAction } from '../../../rotation/checklists/checklist-step.js';
import type { RollbackItem } from '../../../rotation/rollback-plan.js';
import type { RollbackInDoubt } from '../../../rotation/rollback-intent.js';
import type { RotationWindow } from '../../../rotation/rotation-window.js';
import { sayLastError } from '../../../rotation/step-error.js';
import {
  BY_HAND_ACTIONS,
  completionBlockers,
  currentStep,
  firstGatedStep,
  isDeferred,
  isLocked,
  missingApprovals,
  settledSteps,
} from '../../../rotation/rotation-rules.js';
import {
  ACTION_IDS,
  CALLBACK_IDS,
  encodePickedSecret,
  encodeReasonMetadata,
  encodeRotationMetadata,
  encodeRotationRef,
  FORM_VALUE_ACTION,
  ROTATION_BLOCKS,
  type ReasonMetadata,
  type ReasonPurpose,
} from '../../ids.js';
import { LIMITS } from '../block-kit-limits.js';
import { button, context, section } from '../blocks.js';
import { code, escapeMrkdwn, mention, truncate, truncateMrkdwn } from '../mrkdwn.js';
import { fingerprintShort, quoted, roleLabel, settledLine, STATE_LABELS, stepIcon, versionLine, when } from './rotation-text.js';

/** Modal titles are at most 24 characters. */
const TITLE = { plain: 'Rotate a secret', emergency: 'Emergency rotation' } as const;

/** What a provider step's button says. */
const ACTION_BUTTONS: Record<StepAction, string> = {
  create_version: 'Create new version',
  detect_version: 'Detect new version',
  await_provider_rotation: 'Run / check the rotation',
  promote: 'Promote',
  verify: 'Verify',
  schedule_removal: 'Schedule removal',
  disable_compromised: 'Disable compromised version',
  set_at_target: 'Set at target',
  verify_at_target: 'Log in at target',
  lock_at_target: 'Lock out at target',
};

/** What a running provider step says while Rotor waits for the provider. */
const ACTION_WORKING: Record<StepAction, string> = {
  create_version: 'Creating the new version',
  detect_version: 'Looking for the new version',
  await_provider_rotation: 'Asking the rotation function',
  promote: 'Promoting the new version',
  verify: 'Reading the new version back',
  schedule_removal: 'Scheduling the removal',
  disable_compromised: 'Disabling the compromised version',
  set_at_target: 'Setting the new password at the target',
  verify_at_target: 'Logging in at the target with the new password',
  lock_at_target: 'Locking the compromised credential out at the target',
};

export interface Flash {
  kind: 'error' | 'info';
  /** mrkdwn, already escaped (see rotation-flash.ts). */
  text: string;
}

export interface RotationModalData {
  record: RotationRecord;
  secret: Secret;
  /** The person looking at the modal. */
  viewer: string;
  approvers: { role: ApproverRole; people: string[] }[];
  /** Until when a completed rotation may be rolled back; null when it may not. */
  rollbackUntil: string | null;
  /** The role the viewer could approve the rotation as now (they are offered Approve / Reject, not the work); null when none. */
  approverRole?: ApproverRole | null;
  /** The step a provider call is running for, shown as working. */
  working?: string | null;
  /** The step left running past its lease (its run presumed dead): offered "Check the store". */
  interrupted?: string | null;
  /** The rotation's planned window, or null. */
  window?: RotationWindow | null;
  /** The viewer may override the window now (an approver, outside it). */
  windowOverridable?: boolean;
  /** Abandon could not clean up at the provider: offer to abandon saying it was done by hand. */
  offerCleanedByHand?: boolean;
  flash?: Flash | null;
}

function flashBlock(flash: Flash | null | undefined): KnownBlock[] {
  if (!flash) return [];
  return [section(`${flash.kind === 'error' ? ':warning:' : ':information_source:'} ${flash.text}`)];
}

function approvalsText(data: RotationModalData): string {
  const { record } = data;
  if (record.rotation.requiredApprovals.length === 0)
    return record.rotation.kind === 'emergency' ? 'not needed (break-glass)' : 'none needed';
  return record.rotation.requiredApprovals
    .map((role) => {
      const decision = record.approvals.find((approval) => approval.role === role);
      if (decision)
        return `${decision.decision === 'approved' ? ':white_check_mark:' : ':no_entry:'} ${roleLabel(role)} by ${mention(decision.decidedBy)}`;
      const asked = data.approvers.find((entry) => entry.role === role)?.people ?? [];
      return `:hourglass: ${roleLabel(role)}${asked.length > 0 ? ` (asked ${asked.map(mention).join(', ')})` : ''}`;
    })
    .join('\n');
}

/** The step's row: icon, number, title, and who did it or what went wrong. */
function stepRow(step: RotationStep, working: boolean): KnownBlock {
  const optional = step.required ? '' : ' _(optional)_';
  const lines = [`${stepIcon(step, working)} *${step.position + 1}. ${escapeMrkdwn(step.title)}*${optional}`];
  const settled = settledLine(step);
  if (settled) lines.push(settled);
  if (step.state === 'done' && step.result) {
    const version = typeof step.result.versionId === 'string' ? `version \`${escapeMrkdwn(step.result.versionId)}\`` : null;
    const fingerprint = typeof step.result.fingerprint === 'string' ? `fingerprint \`${fingerprintShort(step.result.fingerprint)}\`` : null;
    const removal =
      typeof step.result.removalDueAt === 'string' ? `previous version removable after ${when(step.result.removalDueAt)}` : null;
    const facts = [version, fingerprint, removal].filter((fact): fact is string => fact !== null);
    if (facts.length > 0) lines.push(facts.join(' · '));
  }
  lines.push(...checkLines(step));
  if (working && step.action) lines.push(`:hourglass_flowing_sand: ${ACTION_WORKING[step.action]}…`);
  else if (step.lastError && step.state === 'pending') lines.push(`:warning: ${quoted(sayLastError(step) ?? '', 800)}`);
  if (typeof step.result?.waiting === 'string' && step.state === 'pending') lines.push(`:hourglass: ${quoted(step.result.waiting)}`);
  return section(lines.join('\n'));
}

const ROLL_BACK_CONFIRM = {
  title: { type: 'plain_text', text: 'Roll back this rotation?' },
  text: {
    type: 'mrkdwn',
    text: 'Rotor undoes what it did at the provider (a pending version is removed; a version it made current is rolled back) and records why.',
  },
  confirm: { type: 'plain_text', text: 'Give a reason' },
  deny: { type: 'plain_text', text: 'Keep going' },
  style: 'danger',
} as const;

/** The automated checks of the step's latest attempt, one a line: outcome, what, where, latency. A person's note stays in the step's own line. */
function checkLines(step: RotationStep): string[] {
  const results = checkResultsOf(step.result);
  const latest = Math.max(0, ...results.map((result) => result.attempt));
  return results
    .filter((result) => result.attempt === latest)
    .map((result: CheckResult) => {
      const latency = result.latencyMs === null ? '' : ` · ${result.latencyMs} ms`;
      return `${result.outcome === 'passed' ? ':white_check_mark:' : ':x:'} _Automated check:_ ${escapeMrkdwn(truncate(result.what, 120))} at \`${escapeMrkdwn(truncate(result.where, 200))}\`: ${escapeMrkdwn(truncate(result.detail, 200))}${latency}`;
    });
}

/** What the person can do with the current step. */
function currentStepActions(data: RotationModalData, step: RotationStep): KnownBlock[] {
  const { record } = data;
  const blocks: KnownBlock[] = [];
  if (step.detail) blocks.push(context(quoted(step.detail, 1800)));
  const gated = isLocked(record, step);
  if (gated) {
    const missing = missingApprovals(record);
    blocks.push(
      context(
        `:lock: Locked until ${missing.map((role) => `a ${roleLabel(role)}`).join(' and ')} ${missing.length === 1 ? 'approves' : 'approve'}.`,
      ),
    );
  }
  const elements: Button[] = [];
  if (step.state === 'running' && data.interrupted === step.id && !data.working) {
    const lost = step.result?.outcomeUnknown === true && step.lastError;
    blocks.push(
      context(
        lost
          ? `:grey_question: ${quoted(sayLastError(step) ?? '', 800)}`
          : `:grey_question: Rotor stopped while doing this (started ${when(step.startedAt)}) and did not record what the store did. Check the store: what it shows decides whether the step is done.`,
      ),
    );
    elements.push(button(ACTION_IDS.rotationCheckStep, 'Check the store', step.id, 'primary'));
  }
  if (!gated && step.state !== 'running' && !data.working) {
    if (step.action)
      elements.push(
        button(
          ACTION_IDS.rotationRunStep,
          step.lastError ? `Try again: ${ACTION_BUTTONS[step.action]}` : ACTION_BUTTONS[step.action],
          step.id,
          'primary',
        ),
      );
    else {
      elements.push(button(ACTION_IDS.rotationTickStep, 'Done', step.id, 'primary'));
      elements.push(button(ACTION_IDS.rotationNoteStep, 'Done, with a note…', step.id));
    }
  }
  // Rotor's step at the target can always be done by hand instead, under the same gate and window.
  if (!gated && step.action && BY_HAND_ACTIONS.has(step.action) && step.state !== 'running' && !data.working)
    elements.push(button(ACTION_IDS.rotationByHandStep, 'Done by hand…', step.id));
  const failedChecks = checksFailed(step.result) && step.state === 'pending';
  if (!gated && !step.required && !failedChecks && step.state !== 'running' && !data.working)
    elements.push(button(ACTION_IDS.rotationSkipStep, 'Skip…', step.id));
  if (!gated && failedChecks && !data.working) {
    blocks.push(
      context(
        ':no_entry: An automated check failed, so the rotation cannot complete. *Try again* once it is fixed, *roll forward* (keep the new version and record why), or *roll back* (abandon: Rotor undoes what it did at the provider).',
      ),
    );
    elements.push(button(ACTION_IDS.rotationRollForward, 'Roll forward…', step.id));
    elements.push({
      ...button(ACTION_IDS.rotationAbandon, 'Roll back…', encodeRotationRef(record.rotation.id), 'danger'),
      confirm: ROLL_BACK_CONFIRM,
    });
  }
  if (elements.length > 0) blocks.push({ type: 'actions', block_id: `rotation_step_${step.position}`, elements } satisfies ActionsBlock);
  return blocks;
}

function summaryBlocks(data: RotationModalData): KnownBlock[] {
  const { record } = data;
  const { rotation } = record;
  // The store secret the rotation is bound to, whatever the inventory says now.
  const provider = rotation.providerRef ? `${code(rotation.provider)} ${code(rotation.providerRef)}` : code(rotation.provider);
  return [
    section(
      `*${code(rotation.secretName)}* · ${provider} · ${escapeMrkdwn(rotation.environment)}${rotation.kind === 'emergency' ? ' · :rotating_light: emergency' : ''}`,
    ),
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*State*\n${STATE_LABELS[rotation.state]}` },
        { type: 'mrkdwn', text: `*Ticket*\n${escapeMrkdwn(rotation.ticket ?? '—')}` },
        { type: 'mrkdwn', text: `*Reason*\n${rotationReasonWords(rotation.reason)} (\`${rotation.reason}\`)` },
        { type: 'mrkdwn', text: `*Started*\n${mention(rotation.startedBy)}, ${when(rotation.startedAt)}` },
        { type: 'mrkdwn', text: `*Held by*\n${mention(rotation.heldBy)}` },
        { type: 'mrkdwn', text: `*Approvals*\n${approvalsText(data)}` },
        { type: 'mrkdwn', text: `*Versions*\n${versionLine(rotation)}` },
      ],
    },
  ];
}

function footer(data: RotationModalData): KnownBlock[] {
  const { record } = data;
  const { rotation } = record;
  const ref = encodeRotationRef(rotation.id);
  if (rotation.state === 'completed') {
    const lines = [
      `:white_check_mark: Completed at ${when(rotation.completedAt)}. Next rotation ${escapeMrkdwn(data.secret.nextRotation)}.`,
    ];
    if (data.rollbackUntil) lines.push(`It can be rolled back until ${when(data.rollbackUntil)}.`);
    const elements = [button(ACTION_IDS.rotationRefresh, 'Refresh', ref)];
    if (data.rollbackUntil) elements.push(button(ACTION_IDS.rotationRollback, 'Roll back…', ref, 'danger'));
    return [section(lines.join(' ')), { type: 'actions', elements }];
  }
  if (rotation.state !== 'awaiting_approval' && rotation.state !== 'in_progress') {
    return [
      section(
        `${STATE_LABELS[rotation.state]} by ${mention(rotation.endedBy)} at ${when(rotation.endedAt)}${rotation.endReason ? `: “${quoted(rotation.endReason)}”` : ''}.`,
      ),
    ];
  }
  const blockers = completionBlockers(record);
  const elements: Button[] = [];
  if (blockers.length === 0) elements.push(button(ACTION_IDS.rotationComplete, 'Complete rotation', ref, 'primary'));
  elements.push(button(ACTION_IDS.rotationRefresh, 'Refresh', ref));
  if (data.offerCleanedByHand) elements.push(button(ACTION_IDS.rotationAbandonByHand, 'Abandon: cleaned up by hand…', ref, 'danger'));
  elements.push({
    ...button(ACTION_IDS.rotationAbandon, 'Abandon…', ref, 'danger'),
    confirm: {
      title: { type: 'plain_text', text: 'Abandon this rotation?' },
      text: {
        type: 'mrkdwn',
        text:
          rotation.kind === 'emergency'
            ? 'Rotor removes a pending version it wrote (a version already made current stays: the one before it is compromised) and records why. The incident stays open.'
            : 'Rotor undoes what it did at the provider (a pending version is removed; a version it made current is rolled back) and records why.',
      },
      confirm: { type: 'plain_text', text: 'Give a reason' },
      deny: { type: 'plain_text', text: 'Keep going' },
      style: 'danger',
    },
  });
  return [
    context(
      `${settledSteps(record)} of ${record.steps.length} steps done${blockers.length > 0 ? `; to complete: ${escapeMrkdwn(blockers.join('; '))}` : '.'}`,
    ),
    { type: 'actions', elements },
  ];
}

/**
 * For a person whose approval the rotation still needs: Approve and Reject, here as in their DM.
 * Carrying the rotation out instead is offered last, behind a confirmation that says it costs
 * them the approval (whoever works on a rotation may not approve it).
 */
function approverBlocks(data: RotationModalData, role: ApproverRole): KnownBlock[] {
  const { rotation } = data.record;
  const ref = encodeRotationRef(rotation.id);
  return [
    section(
      `:ballot_box_with_check: ${mention(rotation.heldBy)} is rotating this secret (last change ${when(rotation.updatedAt)}), and your approval is asked as ${roleLabel(role)}. Review the checklist below, then approve or reject it here.`,
    ),
    {
      type: 'actions',
      elements: [
        button(ACTION_IDS.rotationApprove, 'Approve', ref, 'primary'),
        button(ACTION_IDS.rotationReject, 'Reject…', ref, 'danger'),
        {
          ...button(ACTION_IDS.rotationTakeOver, 'Carry it out instead…', ref),
          confirm: {
            title: { type: 'plain_text', text: 'Carry it out instead?' },
            text: {
              type: 'mrkdwn',
              text: `You would be working on this rotation, so you could no longer approve it as ${roleLabel(role)} (two-person rule): someone else would have to.`,
            },
            confirm: { type: 'plain_text', text: 'Carry it out' },
            deny: { type: 'plain_text', text: 'Keep my approval' },
          },
        },
      ],
    },
  ];
}

/** The planned window, if any, and what the viewer may do about it: plan (or move) it, or override it as an approver. */
function windowBlocks(data: RotationModalData, mayPlan: boolean): KnownBlock[] {
  const window = data.window ?? null;
  const ref = encodeRotationRef(data.record.rotation.id);
  const elements: Button[] = [];
  if (mayPlan) elements.push(button(ACTION_IDS.rotationPlanWindow, window ? 'Move the window…' : 'Plan a window…', ref));
  if (data.windowOverridable) elements.push(button(ACTION_IDS.rotationOverrideWindow, 'Override the window…', ref, 'danger'));
  const blocks: KnownBlock[] = [];
  if (window) {
    const override = window.override
      ? ` Overridden by ${mention(window.override.by)} at ${when(window.override.at)}: “${quoted(window.override.reason)}”.`
      : ' Irreversible steps stay locked outside it.';
    blocks.push(
      section(
        `:calendar: *Planned window* ${when(window.startsAt)} to ${when(window.endsAt)} · impact: “${quoted(window.impact)}”.${override}`,
      ),
    );
  }
  if (elements.length > 0) blocks.push({ type: 'actions', elements });
  return blocks;
}

/** The rotation modal: the rotation's facts, its checklist with the current step's actions, and what may happen next. */
export function rotationModal(data: RotationModalData): ModalView {
  const { record } = data;
  const { rotation } = record;
  const open = rotation.state === 'awaiting_approval' || rotation.state === 'in_progress';
  const heldByOther = open && rotation.heldBy !== data.viewer;
  const blocks: KnownBlock[] = [...flashBlock(data.flash), ...summaryBlocks(data)];
  if (heldByOther) {
    const approved = record.approvals.some((approval) => approval.decidedBy === data.viewer && approval.decision === 'approved');
    if (data.approverRole) blocks.push(...approverBlocks(data, data.approverRole));
    else if (approved) {
      blocks.push(
        section(
          `:raised_hand: ${mention(rotation.heldBy)} is rotating this secret (last change ${when(rotation.updatedAt)}). You approved this rotation, so someone else carries it out (two-person rule).`,
        ),
      );
    } else {
      blocks.push(
        section(
          `:raised_hand: ${mention(rotation.heldBy)} is rotating this secret (last change ${when(rotation.updatedAt)}). You may continue it.`,
        ),
        {
          type: 'actions',
          elements: [button(ACTION_IDS.rotationTakeOver, 'Continue this rotation', encodeRotationRef(rotation.id), 'primary')],
        },
      );
    }
  }
  blocks.push(...windowBlocks(data, open && !heldByOther));
  blocks.push({ type: 'divider' });
  const current = open ? currentStep(record) : null;
  for (const step of record.steps) {
    blocks.push(stepRow(step, data.working === step.id));
    // An emergency's failed disable step waits aside for a retry while the steps after it go on.
    if (!heldByOther && ((current && step.id === current.id) || (open && isDeferred(record, step))))
      blocks.push(...currentStepActions(data, step));
  }
  blocks.push({ type: 'divider' }, ...(heldByOther ? [] : footer(data)));
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.rotation,
    title: { type: 'plain_text', text: rotation.kind === 'emergency' ? TITLE.emergency : TITLE.plain },
    close: { type: 'plain_text', text: 'Close' },
    private_metadata: encodeRotationMetadata({ secret: rotation.secretName, rotationId: rotation.id, version: rotation.version }),
    blocks: blocks.slice(0, LIMITS.viewBlocks),
  };
}

const CHECK_ICONS: Record<PreflightCheck['status'], string> = { ok: ':white_check_mark:', warning: ':warning:', blocking: ':no_entry:' };

export interface StartModalData {
  secret: Secret;
  checklist: ChecklistSnapshot | null;
  requiredApprovals: ApproverRole[];
  preflight: PreflightCheck[];
  /** A recent rotation that may still be rolled back. */
  recent: { record: RotationRecord; rollbackUntil: string } | null;
  /** The last rotation, when it was rejected: who rejected it and why. */
  rejected?: RotationRecord | null;
  /** The last rotation, when a rollback of it started and is not settled. */
  rollbackInDoubt?: RollbackInDoubt | null;
  flash?: Flash | null;
}

/** A rollback whose store call was not recorded: nobody knows yet whether the store moved back, and how to find out. */
function rollbackInDoubtBlocks(doubt: RollbackInDoubt): KnownBlock[] {
  const { rotation } = doubt.record;
  const said = section(
    `:hourglass_flowing_sand: ${mention(doubt.by)} started rolling back the rotation by ${mention(rotation.heldBy)} at ${when(doubt.at)}. Whether the store moved back is unknown: Rotor did not record the outcome (it stopped, or the store's answer was lost). The rotation stays completed until the store is asked.`,
  );
  if (!doubt.checkable)
    return [said, context(`It may still be running: if it is still unsettled at ${when(doubt.checkableAt)}, check the store then.`)];
  return [
    said,
    { type: 'actions', elements: [button(ACTION_IDS.rotationCheckRollback, 'Check the store', encodeRotationRef(rotation.id), 'primary')] },
  ];
}

/** Why the last rotation of the secret was rejected, so a new one starts knowing it. */
function rejectionNote(record: RotationRecord): string {
  const { rotation } = record;
  const decision = record.approvals.find((approval) => approval.decision === 'rejected');
  const by = decision ? `${mention(decision.decidedBy)} (${roleLabel(decision.role)})` : mention(rotation.endedBy);
  return `:no_entry: The last rotation (ticket ${escapeMrkdwn(rotation.ticket ?? '—')}, started by ${mention(rotation.startedBy)}) was rejected by ${by} at ${when(rotation.endedAt)}: “${quoted(rotation.endReason)}”. Sort that out before starting again.`;
}

/** Before a rotation starts: what it will do, what the preflight found, and the change ticket. */
export function rotationStartModal(data: StartModalData): ModalView {
  const { secret } = data;
  const blocked = data.preflight.some((check) => check.status === 'blocking') || data.checklist === null;
  const provider = secret.providerRef ? `${code(secret.provider)} ${code(secret.providerRef)}` : code(secret.provider);
  const blocks: KnownBlock[] = [
    ...flashBlock(data.flash),
    section(
      `*${code(secret.name)}* · ${provider} · ${escapeMrkdwn(secret.environment)}\nDue ${escapeMrkdwn(secret.nextRotation)}; last rotated ${secret.lastRotated ? escapeMrkdwn(secret.lastRotated.slice(0, 10)) : 'never'}.`,
    ),
  ];
  if (data.rejected) blocks.push(section(rejectionNote(data.rejected)));
  if (data.rollbackInDoubt) blocks.push(...rollbackInDoubtBlocks(data.rollbackInDoubt));
  if (data.recent) {
    const { rotation } = data.recent.record;
    blocks.push(
      section(
        `:leftwards_arrow_with_hook: Rotated by ${mention(rotation.heldBy)} at ${when(rotation.completedAt)}; it can be rolled back until ${when(data.recent.rollbackUntil)}.`,
      ),
      {
        type: 'actions',
        elements: [button(ACTION_IDS.rotationRollback, 'Roll back…', encodeRotationRef(rotation.id), 'danger')],
      },
    );
  }
  const gated = data.checklist ? firstGatedStep(data.checklist) : null;
  blocks.push(
    section(
      data.requiredApprovals.length > 0
        ? `*Approvals:* a ${data.requiredApprovals.map(roleLabel).join(' and a ')} must approve before ${gated ? `“${escapeMrkdwn(gated.title)}”, the first step that changes something outside the store` : 'the new version is promoted'}; they are asked in Slack when you start.`
        : '*Approvals:* none needed in this environment.',
    ),
    section(`*Preflight*\n${data.preflight.map((check) => `${CHECK_ICONS[check.status]} ${quoted(sayCheck(check), 400)}`).join('\n')}`),
  );
  if (data.checklist) {
    const locked = data.requiredApprovals.length > 0;
    const steps = data.checklist.map(
      (step, index) =>
        `${index + 1}. ${escapeMrkdwn(step.title)}${step.action ? ' _(Rotor does it)_' : ''}${step.required ? '' : ' _(optional)_'}${locked && step.gate ? ' :lock:' : ''}`,
    );
    blocks.push(section(`*Checklist*\n${steps.join('\n')}`));
  }
  if (blocked) {
    blocks.push(context(`Fix what the preflight found, then run \`/rotate ${secret.name}\` again.`));
  } else {
    blocks.push({
      type: 'input',
      block_id: ROTATION_BLOCKS.ticket,
      label: { type: 'plain_text', text: 'Change ticket' },
      hint: { type: 'plain_text', text: 'The ticket this rotation is recorded under: an id such as SEC-123, or its URL.' },
      element: {
        type: 'plain_text_input',
        action_id: FORM_VALUE_ACTION,
        max_length: 200,
        placeholder: { type: 'plain_text', text: 'SEC-123' },
      },
    });
  }
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.rotation,
    title: { type: 'plain_text', text: TITLE.plain },
    close: { type: 'plain_text', text: blocked ? 'Close' : 'Cancel' },
    ...(blocked ? {} : { submit: { type: 'plain_text' as const, text: 'Start rotation' } }),
    private_metadata: encodeRotationMetadata({ secret: secret.name, rotationId: null, version: null }),
    blocks,
  };
}

/** While Rotor looks at the store (the modal opens at once, inside Slack's 3-second window). */
export function rotationLoadingModal(secretName: string, what: string): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.rotation,
    title: { type: 'plain_text', text: TITLE.plain },
    close: { type: 'plain_text', text: 'Close' },
    private_metadata: encodeRotationMetadata({ secret: secretName, rotationId: null, version: null }),
    blocks: [section(`:hourglass_flowing_sand: ${escapeMrkdwn(what)} ${code(secretName)}…`)],
  };
}

/** When the rotation cannot be shown: what went wrong and what to do (`message` is escaped mrkdwn). */
export function rotationProblemModal(secretName: string, message: string): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.rotation,
    title: { type: 'plain_text', text: TITLE.plain },
    close: { type: 'plain_text', text: 'Close' },
    private_metadata: encodeRotationMetadata({ secret: secretName, rotationId: null, version: null }),
    blocks: [section(`:warning: ${message}`)],
  };
}

/** `/rotate` with no name: the caller's secrets, most urgent first. */
export function rotationPickerModal(secrets: readonly Secret[]): ModalView {
  const options: PlainTextOption[] = secrets.slice(0, LIMITS.selectOptions).map((secret) => ({
    text: { type: 'plain_text', text: truncate(`${secret.name} (due ${secret.nextRotation})`, LIMITS.optionText) },
    // A name may be longer than the 150 characters an option value holds; the id never is.
    value: encodePickedSecret(secret.id),
  }));
  const blocks: KnownBlock[] =
    options.length === 0
      ? [
          section(
            'You own no secrets and back up none, so there is nothing of yours to rotate. Name one: `/rotate prod/postgres/connection_string`.',
          ),
        ]
      : [
          section('Which secret? Yours, most urgent first.'),
          {
            type: 'actions',
            block_id: ROTATION_BLOCKS.picker,
            elements: [
              {
                type: 'static_select',
                action_id: ACTION_IDS.rotationPick,
                placeholder: { type: 'plain_text', text: 'Pick a secret' },
                options,
              },
            ],
          },
        ];
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.rotation,
    title: { type: 'plain_text', text: TITLE.plain },
    close: { type: 'plain_text', text: 'Close' },
    private_metadata: encodeRotationMetadata({ secret: '', rotationId: null, version: null }),
    blocks,
  };
}

const REASON_TEXT: Record<ReasonPurpose, { title: string; label: string; submit: string; hint: string; optional: boolean }> = {
  note: {
    title: 'Done, with a note',
    label: 'Note',
    submit: 'Mark done',
    hint: 'What was done or checked, for the evidence record. Never paste a value.',
    optional: true,
  },
  skip: {
    title: 'Skip a step',
    label: 'Why is it skipped?',
    submit: 'Skip step',
    hint: 'Recorded in the audit log and the evidence.',
    optional: false,
  },
  by_hand: {
    title: 'Done by hand',
    label: 'What did you do by hand?',
    submit: 'Mark done by hand',
    hint: 'Recorded as done by hand, by you, apart from what Rotor ran (e.g. “ran ALTER ROLE from the bastion”). Never paste a value.',
    optional: false,
  },
  roll_forward: {
    title: 'Roll forward',
    label: 'Why go on although the check failed?',
    submit: 'Roll forward',
    hint: 'The new version stays; the failed check and your reason are recorded apart in the audit log and the evidence.',
    optional: false,
  },
  abandon: {
    title: 'Abandon rotation',
    label: 'Why is it abandoned?',
    submit: 'Abandon',
    hint: 'Rotor cleans up at the provider first, then records this.',
    optional: false,
  },
  abandon_by_hand: {
    title: 'Abandon (by hand)',
    label: 'Why, and what you did at the provider',
    submit: 'Abandon',
    hint: 'Rotor leaves the provider as it is and records that you cleaned up by hand.',
    optional: false,
  },
  reject: {
    title: 'Reject rotation',
    label: 'Why is it rejected?',
    submit: 'Reject',
    hint: 'The rotator is told; the rotation stops.',
    optional: false,
  },
  window_override: {
    title: 'Override the window',
    label: 'Why may it run outside the window?',
    submit: 'Override',
    hint: 'The irreversible steps unlock outside the planned window; recorded in the audit log with your name.',
    optional: false,
  },
  rollback: {
    title: 'Roll back rotation',
    label: 'Why roll back?',
    submit: 'Roll back',
    hint: 'The previous version becomes current again where Rotor can make it so, and the channels are told what was restored.',
    optional: false,
  },
};

/**
 * A rollback's checklist: what the person does by hand before Rotor moves anything (the previous
 * credential set at its target again; for a manual secret, the whole rollback), each explained,
 * then confirmed one by one.
 */
function confirmationBlocks(items: readonly RollbackItem[]): KnownBlock[] {
  if (items.length === 0) return [];
  const lines = items.map((item, index) => `${index + 1}. *${escapeMrkdwn(item.label)}*\n${quoted(item.detail, 600)}`);
  return [
    section(truncateMrkdwn(`*Before Rotor records the rollback, do these and confirm each:*\n${lines.join('\n')}`, LIMITS.sectionText)),
    {
      type: 'input',
      block_id: ROTATION_BLOCKS.rollbackConfirmations,
      label: { type: 'plain_text', text: 'Done' },
      hint: {
        type: 'plain_text',
        text: 'Every item must be done and ticked; what you confirm is recorded with the rollback and announced.',
      },
      element: {
        type: 'checkboxes',
        action_id: FORM_VALUE_ACTION,
        options: items
          .slice(0, 10)
          .map((item) => ({ text: { type: 'mrkdwn', text: quoted(item.label, LIMITS.optionText) }, value: item.id })),
      },
    },
  ];
}

/** A note or a reason, asked in a small modal pushed on top of the rotation (or opened from a DM); a rollback's also lists what to confirm. */
export function rotationReasonModal(
  metadata: ReasonMetadata,
  about: { secretName: string; stepTitle: string | null },
  confirmations: readonly RollbackItem[] = [],
): ModalView {
  const text = REASON_TEXT[metadata.purpose];
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.rotationReason,
    title: { type: 'plain_text', text: text.title },
    submit: { type: 'plain_text', text: text.submit },
    close: { type: 'plain_text', text: 'Back' },
    private_metadata: encodeReasonMetadata(metadata),
    blocks: [
      section(`${code(about.secretName)}${about.stepTitle ? ` — ${escapeMrkdwn(about.stepTitle)}` : ''}`),
      {
        type: 'input',
        block_id: ROTATION_BLOCKS.reason,
        optional: text.optional,
        label: { type: 'plain_text', text: text.label },
        hint: { type: 'plain_text', text: text.hint },
        element: { type: 'plain_text_input', action_id: FORM_VALUE_ACTION, multiline: true, max_length: 500 },
      },
      ...confirmationBlocks(confirmations),
    ],
  };
}
