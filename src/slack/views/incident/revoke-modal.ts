import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import type { Policy } from '../../../config/policy.js';
import type { Secret } from '../../../inventory/secret.js';
import type { StoreKind } from '../../../providers/store-kind.js';
import type { IncidentRecord } from '../../../revocation/incident.js';
import { SEVERITIES } from '../../../revocation/incident.js';
import type { GroupMembers } from '../../../access/role-members.js';
import { firstPages, incidentLadder } from '../../../revocation/incident-ladder.js';
import { MAX_REASON_LENGTH, MAX_STATUS_UPDATE_LENGTH } from '../../../revocation/revocation-request.js';
import type { EmergencyPlan } from '../../../rotation/rotation-service.js';
import { CALLBACK_IDS, encodeIncidentRef, encodeRevokeMetadata, FORM_VALUE_ACTION, INCIDENT_BLOCKS, REVOKE_BLOCKS } from '../../ids.js';
import { context, section } from '../blocks.js';
import { code, escapeMrkdwn, escapeWithin, isChannelId, mention } from '../mrkdwn.js';
import { quoted, when } from '../rotation/rotation-text.js';
import { SEVERITY_LABELS } from './incident-text.js';

/** Modal titles are at most 24 characters. */
const TITLE = 'Revoke a secret';

/**
 * The two orders of disabling, as the secret's store really behaves: a store that makes a
 * written version current at once keeps the compromised version current until the new one is
 * created, not promoted. Option descriptions hold 75 characters.
 */
function orderOptions(store: StoreKind): PlainTextOption[] {
  return [
    {
      text: { type: 'plain_text', text: 'Replace, then disable (default)' },
      description: {
        type: 'plain_text',
        text: store.capabilities.promotesOnCreate
          ? `Stays current until the new version is written (${store.shortLabel}: current at once).`
          : 'Stays current until the new version is promoted; consumers keep working.',
      },
      value: 'replace_then_disable',
    },
    {
      text: { type: 'plain_text', text: 'Disable now' },
      description: { type: 'plain_text', text: 'Disabled first, for active abuse; consumers may break until replaced.' },
      value: 'disable_now',
    },
  ];
}

/** What breaks with each order, as the store behaves. */
function whatWillBreak(secret: Secret, store: StoreKind): string {
  const failing = consumersText(secret);
  if (store.capabilities.promotesOnCreate) {
    return `*What will break.* ${store.label} makes a written version current at once: with *replace, then disable*, consumers reading the latest version switch to the new value as soon as it is written, and the compromised one is disabled after. With *disable now*, ${failing} get no value until the new version is written.`;
  }
  return `*What will break.* With *replace, then disable*, nothing until the new version is deployed: consumers keep using the compromised one meanwhile. With *disable now*, ${failing} fail until the new version is in place.`;
}

export interface RevokeModalData {
  secret: Secret;
  plan: EmergencyPlan;
  policy: Policy;
  /** The reason typed after the name, offered for editing. */
  reason: string;
  channel: string;
  responder: string;
  /** Who is in the user groups the paged roles name, so the preview lists the people paged. */
  groups?: GroupMembers | null;
}

/** Room for the consumers in the blast radius: a section field holds at most 2,000 characters. */
const CONSUMERS_TEXT_MAX = 1500;
const CONSUMER_MAX = 200;

/** The consumers on record, as many as fit, then how many more. */
function consumersText(secret: Secret): string {
  const { consumers } = secret;
  if (consumers.length === 0) return '_none on record_';
  const shown: string[] = [];
  let length = 0;
  for (const consumer of consumers) {
    const piece = isChannelId(consumer) ? `<#${consumer}>` : '`' + escapeWithin(consumer.replace(/`/g, "'"), CONSUMER_MAX) + '`';
    if (length + piece.length > CONSUMERS_TEXT_MAX) break;
    shown.push(piece);
    length += piece.length + 2;
  }
  const more = consumers.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * `/revoke`'s confirmation: the blast radius first (the secret, where it lives, who owns it, who
 * consumes it, the version that will be disabled), what will happen step by step, then the
 * responder's choices and the secret's name typed again.
 */
export function revokeConfirmModal(data: RevokeModalData): ModalView {
  const { secret, plan } = data;
  const provider = secret.providerRef ? `${code(secret.provider)} ${code(secret.providerRef)}` : code(secret.provider);
  const groups = data.groups ?? null;
  const paged = firstPages(incidentLadder(secret, data.policy, groups), data.responder, secret, data.policy, groups).flatMap((rung) =>
    rung.people.map((person) => `${mention(person)} (${rung.level.replace('_', ' ')})`),
  );
  const options = orderOptions(plan.store);
  const steps = plan.checklists.replace_then_disable.map(
    (step, index) => `${index + 1}. ${escapeMrkdwn(step.title)}${step.action ? ' _(Rotor does it)_' : ''}`,
  );
  const blocks: KnownBlock[] = [
    section(`:rotating_light: *Emergency revocation of ${code(secret.name)}*`),
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Where it lives*\n${provider} · ${escapeMrkdwn(secret.environment)}` },
        { type: 'mrkdwn', text: `*Version to disable*\n${plan.currentVersionId ? code(plan.currentVersionId) : '—'}` },
        { type: 'mrkdwn', text: `*Owner*\n${mention(secret.owner)}` },
        { type: 'mrkdwn', text: `*Backup owner*\n${mention(secret.backupOwner)}` },
        { type: 'mrkdwn', text: `*Consumers*\n${consumersText(secret)}` },
        {
          type: 'mrkdwn',
          text: `*Paged at once*\n${paged.length > 0 ? paged.join(', ') : '_nobody: no owner or security lead on record_'}`,
        },
      ],
    },
  ];
  if (plan.storeProblem)
    blocks.push(
      context(
        `:warning: The store could not be asked just now (${quoted(plan.storeProblem, 300)}); the revocation goes ahead and its provider steps can be retried.`,
      ),
    );
  if (plan.open) {
    blocks.push(
      section(
        `:warning: The rotation ${mention(plan.open.rotation.heldBy)} started at ${when(plan.open.rotation.startedAt)} is abandoned: the emergency rotation replaces it.`,
      ),
    );
  }
  blocks.push(
    section(whatWillBreak(secret, plan.store)),
    section(
      [
        '*What happens, in order*',
        '1. An incident is opened and this channel gets its status message, kept current.',
        `2. ${code(secret.name)} is marked compromised: its reminders stop; \`/secrets\` shows it red.`,
        '3. The people above are paged by DM with Acknowledge; nobody acknowledging climbs the escalation path.',
        `4. An emergency rotation starts (no approvals wait; security signs it off afterwards):\n${steps.join('\n')}`,
        '_With disable now, “Disable the compromised version” moves first. The credential stays valid until it is revoked at its issuer._',
      ].join('\n'),
    ),
    {
      type: 'input',
      block_id: REVOKE_BLOCKS.reason,
      label: { type: 'plain_text', text: 'Reason' },
      hint: { type: 'plain_text', text: 'What happened. Never paste the leaked value itself.' },
      element: {
        type: 'plain_text_input',
        action_id: FORM_VALUE_ACTION,
        multiline: true,
        max_length: MAX_REASON_LENGTH,
        ...(data.reason ? { initial_value: data.reason.slice(0, MAX_REASON_LENGTH) } : {}),
      },
    },
    {
      type: 'input',
      block_id: REVOKE_BLOCKS.severity,
      label: { type: 'plain_text', text: 'Severity' },
      element: {
        type: 'static_select',
        action_id: FORM_VALUE_ACTION,
        placeholder: { type: 'plain_text', text: 'Choose a severity' },
        options: SEVERITIES.map((severity) => ({
          text: { type: 'plain_text' as const, text: SEVERITY_LABELS[severity].slice(0, 75) },
          value: severity,
        })),
      },
    },
    {
      type: 'input',
      block_id: REVOKE_BLOCKS.ticket,
      optional: true,
      label: { type: 'plain_text', text: 'Incident ticket' },
      hint: { type: 'plain_text', text: 'An id such as INC-42, or its URL.' },
      element: {
        type: 'plain_text_input',
        action_id: FORM_VALUE_ACTION,
        max_length: 200,
        placeholder: { type: 'plain_text', text: 'INC-42' },
      },
    },
    {
      type: 'input',
      block_id: REVOKE_BLOCKS.order,
      label: { type: 'plain_text', text: 'Order' },
      element: { type: 'radio_buttons', action_id: FORM_VALUE_ACTION, options, initial_option: options[0] as PlainTextOption },
    },
  );
  const destroy = plan.store.capabilities.destroy ? plan.store.texts.destroyOption : undefined;
  if (destroy) {
    blocks.push({
      type: 'input',
      block_id: REVOKE_BLOCKS.destroy,
      optional: true,
      label: { type: 'plain_text', text: plan.store.label },
      element: {
        type: 'checkboxes',
        action_id: FORM_VALUE_ACTION,
        options: [
          {
            text: { type: 'plain_text', text: destroy.label },
            description: { type: 'plain_text', text: destroy.description },
            value: 'destroy',
          },
        ],
      },
    });
  }
  blocks.push({
    type: 'input',
    block_id: REVOKE_BLOCKS.confirm,
    label: { type: 'plain_text', text: "Type the secret's full name to confirm" },
    element: {
      type: 'plain_text_input',
      action_id: FORM_VALUE_ACTION,
      max_length: 200,
      placeholder: { type: 'plain_text', text: secret.name.slice(0, 150) },
    },
  });
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.revokeConfirm,
    title: { type: 'plain_text', text: TITLE },
    submit: { type: 'plain_text', text: 'Revoke' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: encodeRevokeMetadata({ secret: secret.name, channel: data.channel }),
    blocks,
  };
}

/** The confirmation while Rotor works (opens at once; Slack's trigger lives three seconds). */
export function revokeWorkingModal(secretName: string, channel: string, what: string): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.revokeConfirm,
    title: { type: 'plain_text', text: TITLE },
    close: { type: 'plain_text', text: 'Close' },
    private_metadata: encodeRevokeMetadata({ secret: secretName, channel }),
    blocks: [section(`:hourglass_flowing_sand: ${escapeMrkdwn(what)} ${code(secretName)}…`)],
  };
}

/** Where the revocation stands once confirmed: the incident opened (or the one already open), or what went wrong. */
export function revokeOutcomeModal(
  about: { secret: string; channel: string } | null,
  outcome: { record: IncidentRecord; existing: boolean } | { problem: string },
): ModalView {
  const secretName = about?.secret ?? ('record' in outcome ? outcome.record.incident.secretName : '');
  const blocks: KnownBlock[] =
    'problem' in outcome
      ? [section(`:warning: ${outcome.problem}`)]
      : [
          section(
            outcome.existing
              ? `:information_source: ${code(secretName)} is already under *incident #${outcome.record.incident.id}* (${outcome.record.incident.severity}, led by ${mention(outcome.record.incident.responder)}); nothing new was opened.`
              : `:rotating_light: *Incident #${outcome.record.incident.id}* is open: ${code(secretName)} is marked compromised, its people are paged, and the emergency rotation has started.`,
          ),
          context(
            `Its status message in <#${outcome.record.incident.channel}> shows every step and is kept current; open the emergency rotation from there, or with \`/rotate ${escapeMrkdwn(secretName)}\`.`,
          ),
        ];
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.revokeConfirm,
    title: { type: 'plain_text', text: TITLE },
    close: { type: 'plain_text', text: 'Close' },
    ...(about ? { private_metadata: encodeRevokeMetadata(about) } : {}),
    blocks,
  };
}

/** The status update form. */
export function statusUpdateModal(record: IncidentRecord): ModalView {
  const { incident } = record;
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.incidentStatusUpdate,
    title: { type: 'plain_text', text: 'Status update' },
    submit: { type: 'plain_text', text: 'Post' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: encodeIncidentRef(incident.id),
    blocks: [
      section(
        `*Incident #${incident.id}* · ${incident.severity} · ${code(incident.secretName)}\nLast update ${when(incident.lastUpdateAt)}.`,
      ),
      {
        type: 'input',
        block_id: INCIDENT_BLOCKS.update,
        label: { type: 'plain_text', text: 'Where does it stand?' },
        hint: { type: 'plain_text', text: 'Posted in the status message thread. Never paste a secret value.' },
        element: { type: 'plain_text_input', action_id: FORM_VALUE_ACTION, multiline: true, max_length: MAX_STATUS_UPDATE_LENGTH },
      },
    ],
  };
}

/** The close form: the postmortem's link, and what closing needs. */
export function closeIncidentModal(record: IncidentRecord, rotationOpen: boolean): ModalView {
  const { incident } = record;
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.incidentClose,
    title: { type: 'plain_text', text: 'Close the incident' },
    submit: { type: 'plain_text', text: 'Close incident' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: encodeIncidentRef(incident.id),
    blocks: [
      section(`*Incident #${incident.id}* · ${incident.severity} · ${code(incident.secretName)}`),
      ...(rotationOpen
        ? [
            context(
              `:warning: The emergency rotation is still open: complete it, or abandon it with a reason (\`/rotate ${escapeMrkdwn(incident.secretName)}\`), before closing.`,
            ),
          ]
        : []),
      {
        type: 'input',
        block_id: INCIDENT_BLOCKS.postmortem,
        label: { type: 'plain_text', text: 'Postmortem link' },
        hint: { type: 'plain_text', text: 'The postmortem document or ticket (http:// or https://).' },
        element: {
          type: 'plain_text_input',
          action_id: FORM_VALUE_ACTION,
          max_length: 500,
          placeholder: { type: 'plain_text', text: 'https://' },
        },
      },
      context(
        `Rotor reads the store before closing: the compromised version${incident.compromisedVersionId ? ` (${code(incident.compromisedVersionId)})` : ''} must be disabled there.`,
      ),
      {
        type: 'input',
        block_id: INCIDENT_BLOCKS.override,
        optional: true,
        label: { type: 'plain_text', text: 'Close anyway: why? (override)' },
        hint: {
          type: 'plain_text',
          text: `Only if the compromised version cannot be disabled at the store. A responder other than the incident's lead (${incident.responder}) gives the reason; it is recorded in the timeline and the audit log.`,
        },
        element: { type: 'plain_text_input', action_id: FORM_VALUE_ACTION, multiline: true, max_length: 500 },
      },
    ],
  };
}
