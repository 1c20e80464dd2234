import type { Button, KnownBlock } from '@slack/types';
import type { IncidentRecord } from '../../../revocation/incident.js';
import { isOpen, type RotationRecord, type RotationStep } from '../../../rotation/rotation.js';
import { sayLastError } from '../../../rotation/step-error.js';
import { ACTION_IDS, encodeIncidentRef } from '../../ids.js';
import { LIMITS } from '../block-kit-limits.js';
import { button, context, section } from '../blocks.js';
import { code, escapeMrkdwn, mention, truncate, truncateMrkdwn } from '../mrkdwn.js';
import type { SlackMessage } from '../slack-message.js';
import { quoted, settledLine, STATE_LABELS, stepIcon, when } from '../rotation/rotation-text.js';
import { eventText, incidentTitle } from './incident-text.js';

export interface IncidentStatusData {
  record: IncidentRecord;
  rotation: RotationRecord | null;
  /** The exact commands that disable the compromised version by hand (shown when Rotor's attempt failed). */
  disableByHand: readonly string[];
  /** Who may sign off the break-glass rotation, when it falls to the policy's fallback role (`fallback` set). */
  signOff?: { people: readonly string[]; fallback: string | null };
}

/** Said while the sign-off is not given, when no security lead may give it: who can, or that nobody can. */
function signOffLine(data: IncidentStatusData): KnownBlock[] {
  const plan = data.signOff;
  if (!plan?.fallback || data.record.incident.signedOffBy) return [];
  const noLead = 'No security lead is left who neither broke the glass nor worked the rotation';
  return [
    context(
      plan.people.length > 0
        ? `:ballot_box_with_check: ${noLead}: the sign-off falls to ${escapeMrkdwn(plan.fallback)} (${plan.people.map(mention).join(', ')}), as the policy's \`incident.signoff_fallback\` says.`
        : `:warning: ${noLead}, and the policy's \`incident.signoff_fallback\` names nobody else: nobody can sign it off. Add a security lead, or set \`incident.signoff_fallback\`.`,
    ),
  ];
}

/** The step that revokes the credential at its issuer: until it is done, the leaked credential still works. */
const REVOKE_AT_ISSUER = 'revoke_at_issuer';

function stepLine(step: RotationStep): string {
  const settled = settledLine(step);
  return `${stepIcon(step, false)} ${escapeMrkdwn(step.title)}${settled ? ` — ${settled}` : ''}${targetOutcome(step)}`;
}

/** What locking the compromised credential out at the target did, as the step recorded it. */
function targetOutcome(step: RotationStep): string {
  const summary = step.result?.summary;
  return step.state === 'done' && step.action === 'lock_at_target' && typeof summary === 'string' ? `: ${escapeMrkdwn(summary)}` : '';
}

const TARGET_ACTIONS: ReadonlySet<string> = new Set(['set_at_target', 'verify_at_target', 'lock_at_target']);

/** What a responder does while the target does not answer: the new value waits in the store, the compromised one still logs in there. */
const AT_TARGET_BY_HAND =
  "The new value is staged in the store and kept; the compromised credential still logs in at the target. Press Retry once the target answers, or lock it out there by hand now: PostgreSQL `ALTER ROLE <role> NOLOGIN;` and `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '<role>';` (a single role: set the new password first); Redis `ACL SETUSER <user> <compromised password` and `CLIENT KILL USER <user>`.";

function failedStepBlock(step: RotationStep, data: IncidentStatusData): KnownBlock {
  const commands = step.action === 'disable_compromised' ? data.disableByHand : [];
  const byHand =
    commands.length > 0
      ? `\nTo do it by hand:\n\`\`\`${commands.map((line) => escapeMrkdwn(line)).join('\n')}\`\`\``
      : step.action !== null && TARGET_ACTIONS.has(step.action)
        ? `\n${AT_TARGET_BY_HAND}`
        : '';
  return {
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: truncateMrkdwn(
        `:red_circle: *${escapeMrkdwn(step.title)} failed:* ${quoted(sayLastError(step) ?? '', 900)}${byHand}`,
        LIMITS.sectionText,
      ),
    },
    accessory: button(ACTION_IDS.incidentRetry, 'Retry', encodeIncidentRef(data.record.incident.id), 'danger'),
  };
}

/** Lines packed into as few sections as Slack's 3,000 characters allow. */
function packed(lines: readonly string[]): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  let current = '';
  for (const line of lines) {
    const piece = truncateMrkdwn(line, LIMITS.sectionText);
    if (current && current.length + 1 + piece.length > LIMITS.sectionText) {
      blocks.push(section(current));
      current = piece;
    } else current = current ? `${current}\n${piece}` : piece;
  }
  if (current) blocks.push(section(current));
  return blocks;
}

function pagesLine(record: IncidentRecord): string {
  if (record.pages.length === 0) return ':pager: Paged: nobody (no owner or security lead on record).';
  const pages = record.pages.map(
    (page) => `${mention(page.userId)} (${page.level.replace('_', ' ')})${page.acknowledgedAt ? ' :white_check_mark:' : ''}`,
  );
  return `:pager: Paged: ${pages.join(', ')}`;
}

function rotationBlocks(data: IncidentStatusData): KnownBlock[] {
  const { rotation } = data;
  if (!rotation) {
    const failed = [...data.record.events].reverse().find((event) => event.kind === 'rotation_start_failed');
    return failed
      ? [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: truncateMrkdwn(eventText(failed), LIMITS.sectionText) },
            accessory: button(ACTION_IDS.incidentRetry, 'Retry', encodeIncidentRef(data.record.incident.id), 'danger'),
          },
        ]
      : [section(':hourglass_flowing_sand: The emergency rotation is starting…')];
  }
  const settled = rotation.steps.filter((step) => step.state === 'done' || step.state === 'skipped').length;
  const head = `*Emergency rotation #${rotation.rotation.id}* · ${STATE_LABELS[rotation.rotation.state]} · ${settled} of ${rotation.steps.length} steps · held by ${mention(rotation.rotation.heldBy)}`;
  const failed = rotation.steps.filter((step) => step.state === 'pending' && step.lastError !== null && isOpen(rotation.rotation.state));
  const lines = rotation.steps.filter((step) => !failed.includes(step)).map(stepLine);
  return [...packed([head, ...lines]), ...failed.map((step) => failedStepBlock(step, data))];
}

function actions(data: IncidentStatusData): KnownBlock[] {
  const { incident } = data.record;
  const ref = encodeIncidentRef(incident.id);
  const elements: Button[] = [];
  if (incident.state === 'open') {
    if (data.rotation && isOpen(data.rotation.rotation.state)) {
      elements.push({
        type: 'button',
        action_id: ACTION_IDS.rotationOpen,
        text: { type: 'plain_text', text: 'Open emergency rotation' },
        value: incident.secretName,
        style: 'primary',
      });
    }
    elements.push(
      button(ACTION_IDS.incidentStatusUpdate, 'Post status update', ref),
      button(ACTION_IDS.incidentClose, 'Close incident…', ref),
    );
  }
  if (data.rotation && !isOpen(data.rotation.rotation.state) && !incident.signedOffBy)
    elements.push(button(ACTION_IDS.incidentSignOff, data.signOff?.fallback ? 'Sign off' : 'Sign off (security)', ref));
  return elements.length > 0 ? [{ type: 'actions', elements }] : [];
}

/**
 * The incident's status message in the incident channel: a view of the incident record,
 * redrawn in place after every change. Every step with its state and who did it; a failed
 * provider step in red with the exact commands and Retry; and, until the credential is revoked
 * at its issuer, the warning that disabling it in the store is only half of it.
 */
export function incidentStatusMessage(data: IncidentStatusData): SlackMessage {
  const { incident } = data.record;
  const closed = incident.state === 'closed';
  const lastUpdate = [...data.record.events].reverse().find((event) => event.kind === 'status_update');
  const revoked =
    data.rotation?.steps.some((step) => step.id === REVOKE_AT_ISSUER && (step.state === 'done' || step.state === 'skipped')) ?? false;
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(`${closed ? '✅' : '🚨'} ${incidentTitle(incident)}`, LIMITS.headerText) },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*State*\n${closed ? `closed by ${mention(incident.closedBy)}, ${when(incident.closedAt)}` : 'open'}` },
        { type: 'mrkdwn', text: `*Lead*\n${mention(incident.responder)}` },
        { type: 'mrkdwn', text: `*Opened*\n${when(incident.openedAt)}` },
        {
          type: 'mrkdwn',
          text: `*Acknowledged*\n${incident.acknowledgedAt ? `${mention(incident.acknowledgedBy)}, ${when(incident.acknowledgedAt)}` : closed ? '—' : ':warning: not yet'}`,
        },
        { type: 'mrkdwn', text: `*Ticket*\n${incident.ticket ? escapeMrkdwn(incident.ticket) : '—'}` },
        {
          type: 'mrkdwn',
          text: `*Order*\n${incident.revocationOrder === 'disable_now' ? 'disable now' : 'replace, then disable'}${incident.destroy ? ' · destroy' : ''}`,
        },
      ],
    },
    section(
      `*Reason:* ${quoted(incident.reason)}\n*Compromised version:* ${incident.compromisedVersionId ? code(incident.compromisedVersionId) : '—'}`,
    ),
  ];
  if (!closed && !revoked) {
    blocks.push(
      section(
        ':warning: *The credential stays valid until it is revoked at its issuer.* Disabling the version in the store is only half of it: do “Revoke the compromised credential at its issuer”.',
      ),
    );
  }
  blocks.push(
    section(
      `:white_check_mark: Incident opened by ${mention(incident.responder)} · :red_circle: ${code(incident.secretName)} marked compromised (reminders stopped)\n${pagesLine(data.record)}`,
    ),
    ...rotationBlocks(data),
  );
  if (lastUpdate) blocks.push(section(`*Last status update* (${when(lastUpdate.at)}):\n${eventText(lastUpdate)}`));
  if (closed && incident.postmortemUrl) blocks.push(section(`:checkered_flag: *Postmortem:* <${escapeMrkdwn(incident.postmortemUrl)}>`));
  if (incident.signedOffBy)
    blocks.push(
      context(
        `:ballot_box_with_check: Break-glass rotation signed off by ${mention(incident.signedOffBy)}, ${when(incident.signedOffAt)}.`,
      ),
    );
  blocks.push(...signOffLine(data));
  blocks.push(
    ...actions(data),
    context(
      `Rotor keeps this message current and posts every event in its thread. The full record: \`rotor incidents evidence ${incident.id}\`.`,
    ),
  );
  return { text: `${closed ? 'Closed' : 'Open'}: ${incidentTitle(incident)}`, blocks: blocks.slice(0, LIMITS.messageBlocks) };
}
