import type { Button, KnownBlock } from '@slack/types';
import type { Incident, IncidentEvent, IncidentRecord } from '../../../revocation/incident.js';
import { ACTION_IDS, encodeIncidentRef } from '../../ids.js';
import { button, context, section } from '../blocks.js';
import { LIMITS } from '../block-kit-limits.js';
import { code, escapeMrkdwn, mention, truncateMrkdwn } from '../mrkdwn.js';
import type { SlackMessage } from '../slack-message.js';
import { quoted, when } from '../rotation/rotation-text.js';
import { eventLine, incidentTitle } from './incident-text.js';

function openRotationButton(incident: Incident): Button {
  return {
    type: 'button',
    action_id: ACTION_IDS.rotationOpen,
    text: { type: 'plain_text', text: 'Open emergency rotation' },
    value: incident.secretName,
  };
}

function facts(incident: Incident): string {
  return `${code(incident.secretName)} was revoked by ${mention(incident.responder)} in <#${incident.channel}> at ${when(incident.openedAt)}: “${quoted(incident.reason)}”`;
}

/** A person on the incident and how to reach them outside Slack (the policy's `contacts`). */
export interface PageContact {
  userId: string;
  phone: string | null;
  note: string | null;
}

function contactLines(contacts: readonly PageContact[]): string {
  const lines = contacts.map(
    (contact) =>
      `• ${mention(contact.userId)}${contact.phone ? `: ${escapeMrkdwn(contact.phone)}` : ''}${contact.note ? ` (${escapeMrkdwn(contact.note)})` : ''}`,
  );
  return truncateMrkdwn(`:telephone_receiver: *If Slack is not enough*\n${lines.join('\n')}`, LIMITS.sectionText);
}

/** The page DM: what happened, how to reach the others out of band, and Acknowledge. */
export function pageMessage(incident: Incident, level: string, escalation: boolean, contacts: readonly PageContact[] = []): SlackMessage {
  const why = escalation
    ? `Nobody acknowledged the first pages, so the escalation reached you (${escapeMrkdwn(level.replace('_', ' '))}).`
    : `You are paged as ${escapeMrkdwn(level.replace('_', ' '))}.`;
  return {
    text: `Paged: ${incidentTitle(incident)}`,
    blocks: [
      section(`:rotating_light: *${escapeMrkdwn(incidentTitle(incident))}*\n${facts(incident)}`),
      section(why),
      ...(contacts.length > 0 ? [section(contactLines(contacts))] : []),
      {
        type: 'actions',
        elements: [
          button(ACTION_IDS.incidentAcknowledge, 'Acknowledge', encodeIncidentRef(incident.id), 'primary'),
          openRotationButton(incident),
        ],
      },
      context(
        `Acknowledging tells the channel you are on it and stops the escalation. The status message in <#${incident.channel}> shows every step.`,
      ),
    ],
  };
}

/** The page DM once acknowledged (its button gone). */
export function pageAcknowledgedMessage(incident: Incident, by: string, at: string): SlackMessage {
  return {
    text: `Acknowledged: ${incidentTitle(incident)}`,
    blocks: [
      section(
        `:eyes: *${escapeMrkdwn(incidentTitle(incident))}*\nAcknowledged by ${mention(by)} at ${when(at)}. The status message in <#${incident.channel}> shows where it stands.`,
      ),
      { type: 'actions', elements: [openRotationButton(incident)] },
    ],
  };
}

/** The lead's status request DM. */
export function statusRequestMessage(incident: Incident): SlackMessage {
  return {
    text: `Status update due: ${incidentTitle(incident)}`,
    blocks: [
      section(
        `:speech_balloon: *${escapeMrkdwn(incidentTitle(incident))}* needs a status update: the last one was at ${when(incident.lastUpdateAt)}.`,
      ),
      {
        type: 'actions',
        elements: [
          button(ACTION_IDS.incidentStatusUpdate, 'Post status update', encodeIncidentRef(incident.id), 'primary'),
          openRotationButton(incident),
        ],
      },
      context(
        `Asked on a cadence by severity (${escapeMrkdwn(incident.severity)}), counted from the last update, until the incident is closed.`,
      ),
    ],
  };
}

/** The sign-off request for the break-glass rotation: to security, or to the policy's fallback role (`fallback`, e.g. "the CTO") when no security lead may. */
export function signOffRequestMessage(
  record: IncidentRecord,
  rotation: { id: number; state: string; breakGlassBy: string | null },
  fallback: string | null = null,
): SlackMessage {
  const { incident } = record;
  const asked = fallback
    ? [
        context(
          `You are asked as ${escapeMrkdwn(fallback)}, the policy's \`incident.signoff_fallback\`: no security lead is left who neither broke the glass nor worked this rotation.`,
        ),
      ]
    : [];
  return {
    text: `Sign-off needed: ${incidentTitle(incident)}`,
    blocks: [
      section(
        `:ballot_box_with_check: *${escapeMrkdwn(incidentTitle(incident))}*\nIts emergency rotation #${rotation.id} went ahead without approvals (break-glass by ${mention(rotation.breakGlassBy)}) and is now ${escapeMrkdwn(rotation.state.replace('_', ' '))}. Review what was done and sign it off.`,
      ),
      ...asked,
      { type: 'actions', elements: [button(ACTION_IDS.incidentSignOff, 'Sign off', encodeIncidentRef(incident.id), 'primary')] },
      context(`The whole record: \`rotor incidents evidence ${incident.id}\`.`),
    ],
  };
}

/** The postmortem reminder, daily from `incident.postmortem_hours` after the revocation until closed. */
export function postmortemReminderMessage(incident: Incident, hours: number): SlackMessage {
  return {
    text: `Postmortem due: ${incidentTitle(incident)}`,
    blocks: [
      section(
        `:memo: *${escapeMrkdwn(incidentTitle(incident))}* was revoked ${when(incident.openedAt)}: schedule its postmortem (the playbook asks for one within ${hours} hours).`,
      ),
      section(
        `When it is written, close the incident with its link: \`/revoke close ${incident.id} &lt;link&gt;\`, or *Close incident…* on the status message.`,
      ),
      { type: 'actions', elements: [button(ACTION_IDS.incidentClose, 'Close incident…', encodeIncidentRef(incident.id))] },
      context('Repeated daily until the incident is closed.'),
    ],
  };
}

/** A page, status request, sign-off request or postmortem reminder once the incident is closed: nothing is asked any more. */
export function incidentClosedAskMessage(incident: Incident): SlackMessage {
  const postmortem = incident.postmortemUrl ? `; postmortem: ${code(incident.postmortemUrl)}` : '';
  return {
    text: `Closed: ${incidentTitle(incident)}`,
    blocks: [
      section(
        `:white_check_mark: *${escapeMrkdwn(incidentTitle(incident))}* was closed by ${mention(incident.closedBy)} at ${when(incident.closedAt)}${postmortem}. Nothing more is needed here.`,
      ),
    ],
  };
}

/** A status request once a newer update answered it. */
export function statusRequestAnsweredMessage(incident: Incident): SlackMessage {
  return {
    text: `Answered: ${incidentTitle(incident)}`,
    blocks: [
      section(
        `:speech_balloon: *${escapeMrkdwn(incidentTitle(incident))}*: a status update was posted at ${when(incident.lastUpdateAt)}; the next request counts from it.`,
      ),
      { type: 'actions', elements: [openRotationButton(incident)] },
    ],
  };
}

/** A sign-off request once someone signed the break-glass rotation off. */
export function signedOffMessage(incident: Incident): SlackMessage {
  return {
    text: `Signed off: ${incidentTitle(incident)}`,
    blocks: [
      section(
        `:ballot_box_with_check: *${escapeMrkdwn(incidentTitle(incident))}*: its break-glass rotation was signed off by ${mention(incident.signedOffBy)} at ${when(incident.signedOffAt)}. Nothing more is needed from you.`,
      ),
    ],
  };
}

/** One event in the status message's thread; its notification text is cut like its section (a provider's error can be long). */
export function threadEventMessage(event: IncidentEvent): SlackMessage {
  const line = eventLine(event);
  return { text: truncateMrkdwn(line, LIMITS.sectionText), blocks: [section(line)] };
}

/** `/revoke` on a secret already under an open incident. */
export function existingIncidentMessage(record: IncidentRecord, permalink: string | null): SlackMessage {
  const { incident } = record;
  const ack = incident.acknowledgedAt ? `acknowledged by ${mention(incident.acknowledgedBy)}` : 'not acknowledged yet';
  const where = permalink ? `<${permalink}|its status message>` : `its status message in <#${incident.channel}>`;
  const blocks: KnownBlock[] = [
    section(
      `:rotating_light: ${code(incident.secretName)} is already under *incident #${incident.id}* (${incident.severity}), led by ${mention(incident.responder)} since ${when(incident.openedAt)}, ${ack}. Nothing new was opened: follow ${where}.`,
    ),
    {
      type: 'actions',
      elements: [
        openRotationButton(incident),
        button(ACTION_IDS.incidentStatusUpdate, 'Post status update', encodeIncidentRef(incident.id)),
      ],
    },
  ];
  return { text: `${incident.secretName} is already under incident #${incident.id}`, blocks };
}
