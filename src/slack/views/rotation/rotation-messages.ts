import type { ActionsBlock, KnownBlock } from '@slack/types';
import { checkResultsOf } from '../../../checks/check-result.js';
import type { Secret } from '../../../inventory/secret.js';
import type { RollbackOutcome } from '../../../rotation/rollback-plan.js';
import type { RejectCleanupFailedError } from '../../../rotation/rotation-errors.js';
import type { ApproverRole, RotationRecord } from '../../../rotation/rotation.js';
import { isOpen as isOpenState, rotationReasonWords } from '../../../rotation/rotation.js';
import { currentStep, firstGatedStep, settledSteps } from '../../../rotation/rotation-rules.js';
import { ACTION_IDS, encodeRotationRef } from '../../ids.js';
import { context, section } from '../blocks.js';
import { code, escapeMrkdwn, mention, truncateMrkdwn } from '../mrkdwn.js';
import type { SlackMessage } from '../slack-message.js';
import { replicaRetrievals, retrievalCommand, verifiedReplicaRegions } from './retrieval-instructions.js';
import type { StoreKind } from '../../../providers/store-kind.js';
import { fingerprintShort, quoted, roleLabel, STATE_LABELS, when } from './rotation-text.js';

function openButton(secretName: string, text = 'Open the rotation') {
  return { type: 'button' as const, action_id: ACTION_IDS.rotationOpen, text: { type: 'plain_text' as const, text }, value: secretName };
}

function approvalsLine(record: RotationRecord): string {
  const { requiredApprovals } = record.rotation;
  if (requiredApprovals.length === 0) return 'none needed';
  return requiredApprovals
    .map((role) => {
      const decision = record.approvals.find((approval) => approval.role === role);
      if (!decision) return `${roleLabel(role)}: waiting`;
      return `${roleLabel(role)}: ${decision.decision} by ${mention(decision.decidedBy)}`;
    })
    .join(' · ');
}

function progressLine(record: RotationRecord): string {
  const step = currentStep(record);
  return `${settledSteps(record)} of ${record.steps.length} steps done${step ? `; next: ${escapeMrkdwn(step.title)}` : ''}`;
}

/** What the approvals hold back: the first step that changes something outside the store. */
function lockedLine(record: RotationRecord): string {
  const gated = firstGatedStep(record.steps);
  return gated
    ? `“${escapeMrkdwn(gated.title)}” and every step after it stay locked until every required role has approved: it is the first that changes something outside the store.`
    : 'Promote stays locked until every required role has approved.';
}

/** DM to a person who can approve: the rotation's facts and Approve / Reject. */
export function approvalRequestMessage(record: RotationRecord, secret: Secret, options: { reminder: boolean }): SlackMessage {
  const { rotation } = record;
  const lead = options.reminder ? ':bell: *Still waiting for your decision.* ' : '';
  const text = `${lead}${mention(rotation.heldBy)} asks you to approve the rotation of ${code(rotation.secretName)} (${escapeMrkdwn(rotation.environment)}).`;
  const actions: ActionsBlock = {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: ACTION_IDS.rotationApprove,
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
        value: encodeRotationRef(rotation.id),
      },
      {
        type: 'button',
        action_id: ACTION_IDS.rotationReject,
        style: 'danger',
        text: { type: 'plain_text', text: 'Reject…' },
        value: encodeRotationRef(rotation.id),
      },
      openButton(rotation.secretName, 'See the checklist'),
    ],
  };
  return {
    text: `Approval requested: rotation of ${rotation.secretName}`,
    blocks: [
      section(text),
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Ticket*\n${escapeMrkdwn(rotation.ticket ?? '—')}` },
          { type: 'mrkdwn', text: `*Provider*\n${code(secret.provider)}${secret.providerRef ? ` ${code(secret.providerRef)}` : ''}` },
          { type: 'mrkdwn', text: `*Started*\n${mention(rotation.startedBy)}, ${when(rotation.startedAt)}` },
          { type: 'mrkdwn', text: `*Approvals*\n${approvalsLine(record)}` },
        ],
      },
      context(`${lockedLine(record)} Nobody approves their own rotation, and one person fills one role. ${progressLine(record)}.`),
      actions,
    ],
  };
}

/** The approval DM once this person decided (its buttons gone). */
export function approvalDecidedMessage(
  record: RotationRecord,
  decision: { kind: 'approved' | 'rejected'; reason: string | null; at: string },
): SlackMessage {
  const verb = decision.kind === 'approved' ? ':white_check_mark: You approved' : ':no_entry: You rejected';
  const text = `${verb} the rotation of ${code(record.rotation.secretName)} (ticket ${escapeMrkdwn(record.rotation.ticket ?? '—')}) at ${when(decision.at)}${decision.reason ? `: “${quoted(decision.reason)}”` : ''}.`;
  return {
    text: `${decision.kind === 'approved' ? 'Approved' : 'Rejected'}: rotation of ${record.rotation.secretName}`,
    blocks: [section(text)],
  };
}

/**
 * An approval request once its question is over for this person, its buttons gone: the
 * rotation ended (rejected, abandoned, completed, rolled back), they decided, or others gave
 * every approval they could have given.
 */
export function approvalClosedMessage(record: RotationRecord, person: string): SlackMessage {
  const { rotation } = record;
  const name = code(rotation.secretName);
  const mine = record.approvals.find((approval) => approval.decidedBy === person);
  const rejection = record.approvals.find((approval) => approval.decision === 'rejected');
  const why = rotation.endReason ? `: “${quoted(rotation.endReason)}”` : '';
  let line: string;
  if (mine)
    line = `${mine.decision === 'approved' ? ':white_check_mark: You approved' : ':no_entry: You rejected'} the rotation of ${name} as ${roleLabel(mine.role)} at ${when(mine.decidedAt)}.`;
  else if (rotation.state === 'rejected')
    line = `:no_entry: The rotation of ${name} was rejected by ${mention(rejection?.decidedBy ?? rotation.endedBy)}${rejection ? ` (${roleLabel(rejection.role)})` : ''} at ${when(rotation.endedAt)}${why}. Nothing is left to decide.`;
  else if (rotation.state === 'abandoned')
    line = `:no_entry_sign: The rotation of ${name} was abandoned by ${mention(rotation.endedBy)} at ${when(rotation.endedAt)}${why}. Nothing is left to decide.`;
  else if (rotation.state === 'completed')
    line = `:white_check_mark: The rotation of ${name} was completed at ${when(rotation.completedAt)}. Approvals: ${approvalsLine(record)}.`;
  else if (rotation.state === 'rolled_back')
    line = `:leftwards_arrow_with_hook: The rotation of ${name} was rolled back by ${mention(rotation.endedBy)} at ${when(rotation.endedAt)}${why}.`;
  else line = `:white_check_mark: Nothing more is needed from you for the rotation of ${name}: ${approvalsLine(record)}.`;
  const blocks: KnownBlock[] = [
    section(`${line}\nTicket ${escapeMrkdwn(rotation.ticket ?? '—')}, started by ${mention(rotation.startedBy)}.`),
  ];
  if (isOpenState(rotation.state)) blocks.push({ type: 'actions', elements: [openButton(rotation.secretName, 'See the checklist')] });
  return { text: `Approval no longer needed: rotation of ${rotation.secretName}`, blocks };
}

/** DM to whoever drives the rotation: an approver decided. */
export function decisionNoticeMessage(
  record: RotationRecord,
  decision: { role: ApproverRole; by: string; kind: 'approved' | 'rejected'; reason: string | null },
): SlackMessage {
  const { rotation } = record;
  const text =
    decision.kind === 'approved'
      ? `:white_check_mark: ${mention(decision.by)} approved the rotation of ${code(rotation.secretName)} as ${roleLabel(decision.role)}. Approvals: ${approvalsLine(record)}.`
      : `:no_entry: ${mention(decision.by)} rejected the rotation of ${code(rotation.secretName)} as ${roleLabel(decision.role)}: “${quoted(decision.reason)}”. The rotation is stopped; start a new one with \`/rotate ${rotation.secretName}\` when it is sorted out.`;
  const blocks: KnownBlock[] = [section(text)];
  if (decision.kind === 'approved') blocks.push({ type: 'actions', elements: [openButton(rotation.secretName)] });
  return { text: `${decision.kind === 'approved' ? 'Approved' : 'Rejected'}: rotation of ${rotation.secretName}`, blocks };
}

/**
 * DM to whoever runs a rotation an approver tried to reject, when Rotor could not clean up at the
 * provider: nothing was recorded, and ending it is theirs (Abandon, where cleaning up by hand is a choice).
 */
export function rejectCleanupRequestMessage(error: RejectCleanupFailedError, by: string, reason: string | null): SlackMessage {
  const { failure, secretName } = error;
  const text = `:warning: ${mention(by)} rejected the rotation of ${code(secretName)}: “${quoted(reason)}”. ${escapeMrkdwn(failure.problem)} Nothing was recorded: the rotation is still open, and ending it is yours. Abandon it, which tries the cleanup again; or clean up by hand (${escapeMrkdwn(failure.byHand)}), then Abandon and choose “Abandon: cleaned up by hand…” (offered when Rotor cannot clean up).`;
  return {
    text: `Rejected, not cleaned up: rotation of ${secretName}`,
    blocks: [section(text), { type: 'actions', elements: [openButton(secretName)] }],
  };
}

/** DM to the person who held a rotation until someone else took it over. */
export function takenOverMessage(record: RotationRecord, by: string): SlackMessage {
  const { rotation } = record;
  const text = `:arrows_counterclockwise: ${mention(by)} took over the rotation of ${code(rotation.secretName)} from you; it is theirs to finish now. ${progressLine(record)}.`;
  return {
    text: `${rotation.secretName}: rotation taken over`,
    blocks: [section(text), { type: 'actions', elements: [openButton(rotation.secretName)] }],
  };
}

/** DM after a day untouched (to the holder) or three (to a security lead). */
export function staleRotationMessage(record: RotationRecord, audience: 'holder' | 'security'): SlackMessage {
  const { rotation } = record;
  const text =
    audience === 'holder'
      ? `:hourglass: The rotation of ${code(rotation.secretName)} has not moved since ${when(rotation.updatedAt)}. ${progressLine(record)}. Carry on, or abandon it if it is no longer needed.`
      : `:rotating_light: The rotation of ${code(rotation.secretName)}, held by ${mention(rotation.heldBy)}, has not moved since ${when(rotation.updatedAt)} (${progressLine(record)}). You are told as a security lead.`;
  return {
    text: `Rotation of ${rotation.secretName} is stalled`,
    blocks: [section(text), { type: 'actions', elements: [openButton(rotation.secretName)] }],
  };
}

/**
 * What happens to the previous version, said only as far as it is true: it stays valid until the
 * end of the window unless a step replaced it at its target (`replacedBy`, e.g. ALTER USER on a
 * single-user database), and an emergency rotation keeps nothing to roll back to.
 */
function previousVersionLine(record: RotationRecord, options: { rollbackUntil: string | null; replacedBy: string | null }): string {
  const { rotation } = record;
  const rollback = options.rollbackUntil
    ? `To roll back, run \`/rotate ${rotation.secretName}\` and press *Roll back* before ${when(options.rollbackUntil)}`
    : null;
  if (rotation.kind === 'emergency') {
    return `This was an emergency rotation: the version before it is the compromised one, so it is not kept and this rotation is not rolled back. Ask ${mention(rotation.heldBy)} if something breaks.`;
  }
  if (options.replacedBy) {
    const replaced = `The previous version no longer works where “${escapeMrkdwn(options.replacedBy)}” replaced it`;
    return rollback
      ? `${replaced}. ${rollback}: it asks for the previous one to be set there again first.`
      : `${replaced}; ask ${mention(rotation.heldBy)} if something breaks.`;
  }
  return rollback
    ? `${rollback}; the previous version stays valid until then.`
    : `The previous version stays valid for the retention window; ask ${mention(rotation.heldBy)} if something breaks.`;
}

/** The completion announcement: who, what, where consumers fetch the new version, and how to roll back. */
/** The last attempt of each verify step's automated checks, one a line, for the completion announcement (the evidence lists every attempt). */
function automatedCheckLines(record: RotationRecord): string[] {
  return record.steps.flatMap((step) => {
    const results = checkResultsOf(step.result);
    const latest = Math.max(0, ...results.map((result) => result.attempt));
    const lines = results
      .filter((result) => result.attempt === latest)
      .map(
        (result) =>
          `${result.outcome === 'passed' ? ':white_check_mark:' : ':x:'} ${escapeMrkdwn(result.what)} at \`${escapeMrkdwn(result.where)}\`: ${escapeMrkdwn(result.detail)}${result.latencyMs === null ? '' : ` · ${result.latencyMs} ms`}`,
      );
    if (step.state === 'skipped' && results.some((result) => result.outcome === 'failed'))
      lines.push(`Rolled forward past the failed checks by ${mention(step.doneBy)}: “${quoted(step.skipReason ?? '', 300)}”`);
    return lines;
  });
}

export function completionAnnouncement(
  record: RotationRecord,
  secret: Secret,
  options: {
    store: StoreKind;
    removalAt: string | null;
    rollbackUntil: string | null;
    replacedBy?: string | null;
    /** The policy's `replication.consumer_regions`: consumers in a replica region are told to read it there. */
    consumerRegions?: Readonly<Record<string, string>>;
  },
): SlackMessage {
  const { rotation } = record;
  const approvals = record.approvals.filter((approval) => approval.decision === 'approved');
  const retrieval = retrievalCommand(secret, options.store);
  const nearby = replicaRetrievals(secret, options.store, verifiedReplicaRegions(record.steps), options.consumerRegions ?? {});
  const blocks: KnownBlock[] = [
    section(
      `:white_check_mark: *${code(rotation.secretName)} was rotated* by ${mention(rotation.heldBy)}${rotation.kind === 'emergency' ? ' (emergency rotation)' : ''}.`,
    ),
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Ticket*\n${escapeMrkdwn(rotation.ticket ?? '—')}` },
        { type: 'mrkdwn', text: `*Reason*\n${rotationReasonWords(rotation.reason)} (\`${rotation.reason}\`)` },
        {
          type: 'mrkdwn',
          text: `*Approved by*\n${approvals.length > 0 ? approvals.map((approval) => `${mention(approval.decidedBy)} (${roleLabel(approval.role)})`).join(', ') : 'no approval needed'}`,
        },
        { type: 'mrkdwn', text: `*New version*\n\`${escapeMrkdwn(rotation.newVersionId ?? '—')}\`` },
        { type: 'mrkdwn', text: `*Fingerprint*\n\`${fingerprintShort(rotation.newFingerprint)}\`` },
        { type: 'mrkdwn', text: `*Previous version removed*\n${options.removalAt ? `after ${when(options.removalAt)}` : '—'}` },
        { type: 'mrkdwn', text: `*Next rotation*\n${escapeMrkdwn(secret.nextRotation)}` },
      ],
    },
  ];
  const checks = automatedCheckLines(record);
  if (checks.length > 0) blocks.push(section(truncateMrkdwn(`*Automated checks*\n${checks.join('\n')}`, 2900)));
  if (retrieval.command) blocks.push(section(`*Fetch the new version*\n\`\`\`${escapeMrkdwn(retrieval.command)}\`\`\``));
  for (const replica of nearby.slice(0, 10))
    blocks.push(
      section(
        truncateMrkdwn(
          `*In ${escapeMrkdwn(replica.region)}* (${replica.consumers.map(code).join(', ')}): read the replica there\n\`\`\`${escapeMrkdwn(replica.command)}\`\`\``,
          2900,
        ),
      ),
    );
  if (retrieval.instructions) blocks.push(section(`*How to retrieve it*\n${quoted(retrieval.instructions, 2000)}`));
  if (!retrieval.command && !retrieval.instructions)
    blocks.push(section(`*How to retrieve it*\nNo retrieval instructions are recorded; ask ${mention(secret.owner)}.`));
  blocks.push(context(previousVersionLine(record, { rollbackUntil: options.rollbackUntil, replacedBy: options.replacedBy ?? null })));
  return { text: `${rotation.secretName} was rotated (new version ${rotation.newVersionId ?? 'recorded by hand'})`, blocks };
}

/**
 * The rollback announcement, exactly as far as Rotor knows: the version the store holds now as
 * read back after the rollback (the store's own words for it: a label moved back, or a new
 * version holding the previous data), what the person confirmed they did by hand, and the schedule restored. A manual
 * secret's rollback moved no store, and says so. `outcome` is null for a rollback recorded before
 * outcomes were: it then claims nothing about the store.
 */
export function rollbackAnnouncement(record: RotationRecord, outcome: RollbackOutcome | null, store: StoreKind): SlackMessage {
  const { rotation } = record;
  const who = mention(rotation.endedBy);
  const lines = [
    `:leftwards_arrow_with_hook: *The rotation of ${code(rotation.secretName)} was rolled back* by ${who}: “${quoted(rotation.endReason)}”.`,
  ];
  const restored = outcome?.restored ?? null;
  const ref = code(rotation.providerRef ?? rotation.secretName);
  if (restored && !store.capabilities.byHand) {
    const read = `fingerprint \`${fingerprintShort(restored.fingerprint)}\`, read back from ${store.label}`;
    const versionId = `\`${escapeMrkdwn(restored.versionId)}\``;
    if (restored.copyOf) {
      lines.push(
        `The current version of ${ref} is now ${versionId}, a copy of version \`${escapeMrkdwn(restored.copyOf)}\`, the one current before the rotation (${read}).`,
      );
    } else {
      lines.push(
        store.texts.restoredLine?.(ref, versionId, read) ??
          `The current version of ${ref} is ${versionId} again, the one current before the rotation (${read}).`,
      );
    }
    lines.push(`Consumers that fetched \`${escapeMrkdwn(rotation.newVersionId ?? '—')}\` must fetch again and be redeployed or restarted.`);
  } else if (store.capabilities.byHand) {
    lines.push('Rotor keeps no copy of a manual secret, so no store changed: the rollback was done by hand.');
  }
  const confirmed = outcome?.confirmed ?? [];
  if (confirmed.length > 0)
    lines.push(
      `${who} confirmed${restored ? ' before the store moved back' : ''}: ${confirmed.map((item) => lowerFirst(escapeMrkdwn(item.label))).join('; ')}.`,
    );
  lines.push(`The next rotation is due ${escapeMrkdwn(rotation.previousNextRotation)} again.`);
  return { text: `Rotation of ${rotation.secretName} rolled back`, blocks: [section(lines.join('\n'))] };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** DM to the rotator when the retention window ends: the previous version may go now. */
export function removalDueMessage(record: RotationRecord): SlackMessage {
  const { rotation } = record;
  if (rotation.provider === 'manual') {
    return {
      text: `Revoke the previous value of ${rotation.secretName}`,
      blocks: [
        section(
          `:broom: The retention window after rotating ${code(rotation.secretName)} has ended. Revoke the previous value at its issuer now, so only the new one works.`,
        ),
      ],
    };
  }
  return {
    text: `Remove the previous version of ${rotation.secretName}`,
    blocks: [
      section(
        `:broom: The retention window after rotating ${code(rotation.secretName)} has ended. Remove the previous version (\`${escapeMrkdwn(rotation.previousVersionId ?? '—')}\`) so nothing can fall back to it.`,
      ),
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTION_IDS.rotationRemovePrevious,
            style: 'danger',
            text: { type: 'plain_text', text: 'Remove previous version' },
            value: encodeRotationRef(rotation.id),
            confirm: {
              title: { type: 'plain_text', text: 'Remove the previous version?' },
              // A dialog's text holds 300 characters: the secret's name (up to 194) is in the message above.
              text: {
                type: 'mrkdwn',
                text: `Version \`${escapeMrkdwn(rotation.previousVersionId ?? '—')}\` will no longer be retrievable by its stage.`,
              },
              confirm: { type: 'plain_text', text: 'Remove it' },
              deny: { type: 'plain_text', text: 'Keep it' },
              style: 'danger',
            },
          },
        ],
      },
    ],
  };
}

export function removalDoneMessage(record: RotationRecord, by: string): SlackMessage {
  const text = `:broom: ${mention(by)} removed the previous version (\`${escapeMrkdwn(record.rotation.previousVersionId ?? '—')}\`) of ${code(record.rotation.secretName)}.`;
  return { text: `Previous version of ${record.rotation.secretName} removed`, blocks: [section(text)] };
}

/**
 * DM when Slack would not update a person's rotation modal: what happened to their click (the
 * refusal, or that it was recorded) and how to see the rotation as it stands.
 */
export function modalNotUpdatedMessage(
  secretName: string,
  slackCode: string,
  flash: { kind: 'error' | 'info'; text: string } | null,
): SlackMessage {
  const outcome = flash
    ? `${flash.kind === 'error' ? ':warning:' : ':information_source:'} ${flash.text}`
    : ':white_check_mark: What you did was recorded.';
  return {
    text: `I could not update your rotation modal for ${secretName}`,
    blocks: [
      section(
        `I could not update your rotation modal for ${code(secretName)}: Slack answered \`${escapeMrkdwn(slackCode)}\`.\n${outcome}\nRun \`/rotate ${escapeMrkdwn(secretName)}\` to see the rotation as it stands.`,
      ),
    ],
  };
}

/** One line about a rotation, for the App Home and lists. */
export function rotationLine(record: RotationRecord): string {
  const { rotation } = record;
  return `${code(rotation.secretName)} — ${STATE_LABELS[rotation.state]}, held by ${mention(rotation.heldBy)}; ${progressLine(record)}`;
}
