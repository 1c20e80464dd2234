import { describe, expect, it } from 'vitest';
import { BUILT_IN_STORES } from '../../../src/providers/store-catalog.js';
import { parsePolicy } from '../../../src/config/policy.js';
import type { Secret } from '../../../src/inventory/secret.js';
import type { Incident, IncidentEvent, IncidentPage, IncidentRecord } from '../../../src/revocation/incident.js';
import { disableByHand } from '../../../src/revocation/disable-by-hand.js';
import { MAX_REASON_LENGTH } from '../../../src/revocation/revocation-request.js';
import { MAX_STATUS_UPDATE_LENGTH } from '../../../src/revocation/revocation-request.js';
import { MAX_NOTE_LENGTH } from '../../../src/rotation/rotation-rules.js';
import type { RotationRecord, RotationStep } from '../../../src/rotation/rotation.js';
import { resolveChecklist } from '../../../src/rotation/checklists/resolve-checklist.js';
import type { EmergencyPlan } from '../../../src/rotation/rotation-service.js';
import { incidentStatusMessage } from '../../../src/slack/views/incident/incident-status-message.js';
import {
  existingIncidentMessage,
  pageAcknowledgedMessage,
  pageMessage,
  postmortemReminderMessage,
  signOffRequestMessage,
  statusRequestMessage,
  threadEventMessage,
} from '../../../src/slack/views/incident/incident-messages.js';
import {
  closeIncidentModal,
  revokeConfirmModal,
  revokeOutcomeModal,
  revokeWorkingModal,
  statusUpdateModal,
} from '../../../src/slack/views/incident/revoke-modal.js';
import { escapeMrkdwn } from '../../../src/slack/views/mrkdwn.js';
import { blockKitViolations } from '../../support/block-kit-limits.js';

/**
 * Every incident view with the worst its data can hold: the longest name, reason, ticket, status
 * update, postmortem link and provider error Rotor accepts, fifty consumers, thirty security
 * leads, every event of a long incident, and text Slack would parse (`<!channel>`, a mention, a
 * link, `&`) wherever a person or a provider writes.
 */

const hostile = '<!channel> <@U0BOSS> <https://evil.example|click> & ';
const ampersands = '&'.repeat(2000);
const worstText = (length: number) => (hostile + ampersands).slice(0, length);
const at = '2027-02-01T10:00:00.000Z';
const securityLeads = Array.from({ length: 30 }, (_, n) => `U0SEC${String(n).padStart(6, '0')}`);
const policy = parsePolicy(`
channels:
  incident: [C0INCIDENT]
roles:
  security_leads: [${securityLeads.join(', ')}]
  responders: [U0ONCALL]
  team_leads: { payments: U0PAYLEAD }
  cto: U0CTO
`);

function worstSecret(provider: Secret['provider']): Secret {
  const segment = 's'.padEnd(64, 'x');
  return {
    id: 1,
    name: `prod/${segment}/${'k'.repeat(64)}`,
    environment: 'prod',
    service: segment,
    credentialType: 'k'.repeat(64),
    type: 'database',
    description: hostile.repeat(40).slice(0, 2000),
    owner: 'U0OWNER',
    backupOwner: 'U0BACKUP',
    team: 'payments',
    consumers: Array.from({ length: 50 }, (_, n) => `${hostile}${'c'.repeat(20)}${n}`),
    access: [],
    breakGlass: false,
    provider,
    providerRef:
      provider === 'aws'
        ? `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${'n'.repeat(480)}`
        : provider === 'vault'
          ? `secret/${'p/'.repeat(240)}x#field`
          : null,
    intervalDays: 90,
    lastRotated: '2026-11-01T00:00:00.000Z',
    nextRotation: '2027-01-30',
    lifecycle: 'compromised',
    retrievalInstructions: ampersands,
    tags: {},
    checklistOverride: null,
    valueSource: null,
    valueField: null,
    target: null,
    currentVersionId: 'v'.repeat(64),
    currentFingerprint: `sha256:${'f'.repeat(64)}`,
    createdAt: at,
    updatedAt: at,
  };
}

function plan(secret: Secret): EmergencyPlan {
  const checklist = (revocationOrder: 'replace_then_disable' | 'disable_now') =>
    resolveChecklist({
      secret,
      store: BUILT_IN_STORES.of(secret.provider),
      provider: { rotationConfigured: false },
      policy: { checklists: {}, retentionHours: 48 },
      emergency: true,
      revocationOrder,
    });
  return {
    store: BUILT_IN_STORES.of(secret.provider),
    checklists: { replace_then_disable: checklist('replace_then_disable'), disable_now: checklist('disable_now') },
    currentVersionId: 'v'.repeat(64),
    storeProblem: worstText(2000),
    open: worstRotation(secret, 'in_progress', 'scheduled'),
  };
}

/** The emergency checklist with every step in the state `stateOf` gives it, each with the longest note, reason and provider error. */
function worstRotation(
  secret: Secret,
  state: RotationRecord['rotation']['state'],
  kind: 'emergency' | 'scheduled' = 'emergency',
  stateOf: (index: number) => RotationStep['state'] = (index) => (index % 3 === 0 ? 'done' : index % 3 === 1 ? 'skipped' : 'pending'),
): RotationRecord {
  const snapshot = resolveChecklist({
    secret,
    store: BUILT_IN_STORES.of(secret.provider),
    provider: { rotationConfigured: false },
    policy: { checklists: {}, retentionHours: 48 },
    emergency: true,
    revocationOrder: 'disable_now',
  });
  const steps: RotationStep[] = snapshot.map((definition, position) => {
    const stepState = stateOf(position);
    return {
      ...definition,
      position,
      state: stepState,
      startedAt: null,
      doneBy: stepState === 'pending' ? null : 'U0ONCALL',
      doneAt: stepState === 'pending' ? null : at,
      note: stepState === 'done' ? worstText(MAX_NOTE_LENGTH) : null,
      skipReason: stepState === 'skipped' ? worstText(MAX_NOTE_LENGTH) : null,
      result: { versionId: 'v'.repeat(64) },
      attempts: 3,
      lastError: stepState === 'pending' ? (hostile + ampersands).repeat(3) : null,
    };
  });
  return {
    rotation: {
      id: 123456789012,
      secretId: 1,
      secretName: secret.name,
      kind,
      reason: kind === 'emergency' ? 'compromise' : 'personnel_change',
      state,
      version: 999,
      ticket: `https://tracker.example/${'t&'.repeat(80)}`.slice(0, 200),
      environment: 'prod',
      provider: secret.provider,
      providerRef: secret.providerRef,
      requiredApprovals: [],
      checklistSource: { kind: 'template', type: 'database' } as RotationRecord['rotation']['checklistSource'],
      preflight: [],
      startedBy: 'U0ONCALL',
      startedAt: at,
      heldBy: 'U0ONCALL',
      updatedAt: at,
      previousVersionId: 'p'.repeat(64),
      previousFingerprint: `sha256:${'a'.repeat(64)}`,
      newVersionId: 'n'.repeat(64),
      newFingerprint: `sha256:${'b'.repeat(64)}`,
      placeholderVersionId: 'h'.repeat(64),
      promotedAt: at,
      verifiedAt: at,
      previousLastRotated: at,
      previousNextRotation: '2027-01-30',
      previousLifecycle: 'active',
      completedAt: state === 'completed' ? at : null,
      endedAt: state === 'abandoned' ? at : null,
      endedBy: state === 'abandoned' ? 'U0ONCALL' : null,
      endReason: state === 'abandoned' ? worstText(MAX_NOTE_LENGTH) : null,
      breakGlassBy: 'U0ONCALL',
      breakGlassReason: worstText(MAX_REASON_LENGTH),
      incidentId: 123456789012,
    },
    steps,
    approvals: [],
  };
}

function worstIncident(secret: Secret, state: Incident['state']): Incident {
  return {
    id: 123456789012,
    secretId: 1,
    secretName: secret.name,
    state,
    severity: 'SEV1',
    reason: worstText(MAX_REASON_LENGTH),
    ticket: `https://tracker.example/${'t&'.repeat(100)}`.slice(0, 200),
    channel: 'C0INCIDENT',
    responder: 'U0ONCALL',
    revocationOrder: 'disable_now',
    destroy: secret.provider === 'vault',
    provider: secret.provider,
    providerRef: secret.providerRef,
    compromisedVersionId: 'v'.repeat(64),
    compromisedFingerprint: `sha256:${'f'.repeat(64)}`,
    previousLifecycle: 'active',
    rotationId: 123456789012,
    openedAt: at,
    acknowledgedAt: at,
    acknowledgedBy: 'U0OWNER',
    lastUpdateAt: at,
    signedOffBy: state === 'closed' ? 'U0SEC000001' : null,
    signedOffAt: state === 'closed' ? at : null,
    closedAt: state === 'closed' ? at : null,
    closedBy: state === 'closed' ? 'U0ONCALL' : null,
    postmortemUrl: state === 'closed' ? `https://wiki.example/${'&'.repeat(480)}` : null,
    statusTs: '1700000000.000100',
    version: 999,
  };
}

/** Every kind of event, each with the longest text its source allows. */
function worstEvents(secret: Secret): IncidentEvent[] {
  const people = ['U0ONCALL', 'U0OWNER', ...securityLeads];
  const summaries: [string, string][] = [
    ['opened', `U0ONCALL revoked ${secret.name} (SEV1, ticket ${'t&'.repeat(100)}; disable now, destroy): ${worstText(MAX_REASON_LENGTH)}`],
    ['compromised', `${secret.name} is marked compromised: its reminders stop while the incident is open.`],
    ['escalated', `Nobody acknowledged within 15 minutes: paging the next level (security): ${securityLeads.join(', ')}.`],
    ['step_failed', `“Disable the compromised version in the store” failed: ${(hostile + ampersands).repeat(3)}`],
    ['step_done', `U0ONCALL did “Search the logs for the incident window”: ${worstText(MAX_NOTE_LENGTH)}.`],
    ['step_skipped', `U0ONCALL skipped “a step”: ${worstText(MAX_NOTE_LENGTH)}`],
    ['rotation_abandoned', `U0ONCALL abandoned the emergency rotation: ${worstText(MAX_NOTE_LENGTH)}`],
    ['page_undelivered', `Could not page U0OWNER: ${worstText(1000)}`],
    ['status_update', `Status from U0ONCALL: ${worstText(MAX_STATUS_UPDATE_LENGTH)}`],
    ['closed', `U0ONCALL closed the incident; postmortem: https://wiki.example/${'&'.repeat(480)}`],
  ];
  return summaries.map(([kind, summary], index) => ({
    id: index + 1,
    incidentId: 123456789012,
    at,
    actor: 'U0ONCALL',
    kind,
    summary,
    details: { people },
  }));
}

function worstRecord(secret: Secret, state: Incident['state']): IncidentRecord {
  const pages: IncidentPage[] = [
    { userId: 'U0OWNER', level: 'owner', pagedAt: at, acknowledgedAt: at },
    { userId: 'U0BACKUP', level: 'backup_owner', pagedAt: at, acknowledgedAt: null },
    ...securityLeads.map((userId) => ({ userId, level: 'security' as const, pagedAt: at, acknowledgedAt: at })),
    { userId: 'U0PAYLEAD', level: 'team_lead', pagedAt: at, acknowledgedAt: null },
    { userId: 'U0CTO', level: 'cto', pagedAt: at, acknowledgedAt: null },
  ];
  return { incident: worstIncident(secret, state), events: worstEvents(secret), pages };
}

/** Nothing a person or a provider wrote reaches Slack as markup (an input's initial value is plain text, never parsed). */
function expectNoRawMarkup(surface: unknown): void {
  const text = JSON.stringify(surface, (key, value: unknown) => (key === 'initial_value' ? undefined : value));
  expect(text).not.toContain('<!channel>');
  expect(text).not.toContain('<@U0BOSS>');
  expect(text).not.toContain('<https://evil');
  const raw = /.{0,60}&(?!amp;|lt;|gt;).{0,20}/.exec(text);
  expect(raw?.[0] ?? null).toBeNull();
}

const PROVIDERS = ['aws', 'vault', 'manual'] as const;

describe('incident views stay within Block Kit limits with the worst data', () => {
  it('the confirmation modal: the blast radius of a secret with fifty consumers and thirty security leads, a store problem and a rotation to supersede', () => {
    for (const provider of PROVIDERS) {
      const secret = worstSecret(provider);
      const view = revokeConfirmModal({
        secret,
        plan: plan(secret),
        policy,
        reason: worstText(MAX_REASON_LENGTH),
        channel: 'C0INCIDENT',
        responder: 'U0ONCALL',
      });
      expect(blockKitViolations({ kind: 'modal', view }), provider).toEqual([]);
      expectNoRawMarkup(view.blocks);
    }
  });

  it('the working, outcome, status update and close modals', () => {
    const secret = worstSecret('aws');
    const about = { secret: secret.name, channel: 'C0INCIDENT' };
    const views = [
      revokeWorkingModal(secret.name, 'C0INCIDENT', 'Revoking'),
      revokeOutcomeModal(about, { problem: escapeMrkdwn((hostile + ampersands).repeat(3)) }),
      revokeOutcomeModal(about, { record: worstRecord(secret, 'open'), existing: false }),
      revokeOutcomeModal(null, { record: worstRecord(secret, 'open'), existing: true }),
      statusUpdateModal(worstRecord(secret, 'open')),
      closeIncidentModal(worstRecord(secret, 'open'), true),
      closeIncidentModal(worstRecord(secret, 'open'), false),
    ];
    for (const view of views) {
      expect(blockKitViolations({ kind: 'modal', view }), view.title.text).toEqual([]);
      expectNoRawMarkup(view.blocks);
    }
  });

  it('the status message in every state: no rotation yet, a failed start, steps failed with the commands to do them by hand, ended, closed', () => {
    for (const provider of PROVIDERS) {
      const secret = worstSecret(provider);
      const open = worstRecord(secret, 'open');
      const failedStart = {
        ...open,
        incident: { ...open.incident, rotationId: null },
        events: [
          ...open.events,
          {
            ...open.events[0]!,
            kind: 'rotation_start_failed',
            summary: `The emergency rotation could not start: ${(hostile + ampersands).repeat(2)}`,
          },
        ],
      };
      const cases: [string, IncidentRecord, RotationRecord | null][] = [
        ['starting', { ...open, incident: { ...open.incident, rotationId: null } }, null],
        ['failed start', failedStart, null],
        ['in progress, steps failed', open, worstRotation(secret, 'in_progress')],
        ['in progress, every step failed', open, worstRotation(secret, 'in_progress', 'emergency', () => 'pending')],
        ['completed', open, worstRotation(secret, 'completed', 'emergency', () => 'done')],
        ['abandoned', open, worstRotation(secret, 'abandoned')],
        ['closed', worstRecord(secret, 'closed'), worstRotation(secret, 'completed', 'emergency', () => 'done')],
      ];
      // Signed off by security as usual, falling to a fallback role with many people, or to nobody.
      const signOffs = [
        undefined,
        { people: Array.from({ length: 40 }, (_, n) => `U0ADMIN${n}`), fallback: 'the admins' },
        { people: [], fallback: 'the CTO' },
      ];
      for (const [label, record, rotation] of cases) {
        for (const signOff of signOffs) {
          const message = incidentStatusMessage({
            record,
            rotation,
            disableByHand: rotation
              ? disableByHand(
                  rotation.rotation,
                  record.incident.compromisedVersionId,
                  record.incident.destroy,
                  BUILT_IN_STORES.of(rotation.rotation.provider),
                )
              : [],
            ...(signOff ? { signOff } : {}),
          });
          expect(blockKitViolations({ kind: 'message', blocks: message.blocks }), `${provider}: ${label}`).toEqual([]);
          expect(message.text.length).toBeLessThanOrEqual(4000);
          expectNoRawMarkup(message.blocks);
        }
      }
    }
  });

  it('every incident DM and thread reply: pages, acknowledged, status request, sign-off, postmortem, each event, the incident already open', () => {
    const secret = worstSecret('vault');
    const record = worstRecord(secret, 'open');
    const messages = [
      pageMessage(record.incident, 'backup_owner', false),
      pageMessage(record.incident, 'security', true),
      pageAcknowledgedMessage(record.incident, 'U0OWNER', at),
      statusRequestMessage(record.incident),
      signOffRequestMessage(record, { id: 123456789012, state: 'completed', breakGlassBy: 'U0ONCALL' }),
      signOffRequestMessage(record, { id: 123456789012, state: 'completed', breakGlassBy: 'U0ONCALL' }, 'the DevOps leads'),
      postmortemReminderMessage(record.incident, 48),
      existingIncidentMessage(record, `https://rotor-test.slack.com/archives/C0INCIDENT/p${'1'.repeat(16)}`),
      existingIncidentMessage(record, null),
      ...record.events.map((event) => threadEventMessage(event)),
    ];
    for (const message of messages) {
      expect(blockKitViolations({ kind: 'message', blocks: message.blocks }), message.text.slice(0, 80)).toEqual([]);
      expect(message.text.length).toBeLessThanOrEqual(4000);
      expectNoRawMarkup(message.blocks);
    }
  });
});
