import { DateTime } from 'luxon';
import { BUILT_IN_STORES } from '../../../src/providers/store-catalog.js';
import { describe, expect, it } from 'vitest';
import type { Secret } from '../../../src/inventory/secret.js';
import type { PreflightCheck, RotationRecord, RotationStep } from '../../../src/rotation/rotation.js';
import { MAX_CHECKLIST_STEPS, MAX_STEP_DETAIL_LENGTH, MAX_STEP_TITLE_LENGTH } from '../../../src/rotation/checklists/checklist-step.js';
import { homeView } from '../../../src/slack/views/home-view.js';
import {
  rotationLoadingModal,
  rotationModal,
  rotationPickerModal,
  rotationProblemModal,
  rotationReasonModal,
  rotationStartModal,
} from '../../../src/slack/views/rotation/rotation-modal.js';
import {
  approvalDecidedMessage,
  approvalRequestMessage,
  completionAnnouncement,
  decisionNoticeMessage,
  modalNotUpdatedMessage,
  removalDoneMessage,
  removalDueMessage,
  rollbackAnnouncement,
  staleRotationMessage,
} from '../../../src/slack/views/rotation/rotation-messages.js';
import { blockKitViolations } from '../../support/block-kit-limits.js';

/**
 * Every rotation view with the worst its data can hold: the longest checklist, every step with a
 * note of the longest length, provider errors far longer than a section, and text that Slack
 * would parse (`<!channel>`, a mention, a link, `&`) wherever a person or a provider writes.
 */

const hostile = '<!channel> <@U0BOSS> <https://evil.example|click> & ';
const ampersands = '&'.repeat(2000);
const at = '2027-02-01T10:00:00.000Z';

function worstSecret(provider: Secret['provider']): Secret {
  const segment = 's'.padEnd(64, 'x');
  return {
    id: 1,
    name: `${'e'.repeat(64)}/${segment}/${'k'.repeat(64)}`,
    environment: 'prod',
    service: segment,
    credentialType: 'k'.repeat(64),
    type: 'database',
    description: hostile.repeat(40).slice(0, 2000),
    owner: 'U0OWNER',
    backupOwner: 'U0BACKUP',
    team: hostile.repeat(2).slice(0, 80),
    consumers: Array.from({ length: 50 }, (_, n) => `${hostile}${n}`),
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
    lifecycle: 'rotating',
    retrievalInstructions: ampersands,
    tags: {},
    checklistOverride: null,
    valueSource: null,
    valueField: null,
    target: null,
    currentVersionId: null,
    currentFingerprint: null,
    createdAt: at,
    updatedAt: at,
  };
}

function step(position: number, state: RotationStep['state']): RotationStep {
  return {
    position,
    id: `step_${position}`,
    title: `${hostile}`.repeat(3).slice(0, MAX_STEP_TITLE_LENGTH),
    detail: (hostile + ampersands).slice(0, MAX_STEP_DETAIL_LENGTH),
    action: position % 3 === 0 ? 'create_version' : null,
    required: position % 2 === 0,
    gate: position === 4 ? 'approval' : null,
    state,
    startedAt: state === 'running' ? at : null,
    doneBy: state === 'done' || state === 'skipped' ? 'U0OWNER' : null,
    doneAt: state === 'done' || state === 'skipped' ? at : null,
    note: state === 'done' ? (hostile + ampersands).slice(0, 500) : null,
    skipReason: state === 'skipped' ? (hostile + ampersands).slice(0, 500) : null,
    result: { versionId: 'v'.repeat(64), fingerprint: `sha256:${'f'.repeat(64)}`, removalDueAt: at, waiting: hostile + ampersands },
    attempts: 3,
    lastError: state === 'pending' ? (hostile + ampersands).repeat(3) : null,
  };
}

function worstRecord(state: RotationRecord['rotation']['state'], settled: number): RotationRecord {
  const steps = Array.from({ length: MAX_CHECKLIST_STEPS }, (_, index) =>
    step(index, index < settled ? (index % 4 === 1 ? 'skipped' : 'done') : 'pending'),
  );
  return {
    rotation: {
      id: 123456789012,
      secretId: 1,
      secretName: worstSecret('aws').name,
      kind: 'scheduled',
      reason: 'break_glass_use',
      state,
      version: 999,
      ticket: `https://tracker.example/${'t&'.repeat(80)}`.slice(0, 200),
      environment: 'prod',
      provider: 'aws',
      providerRef: worstSecret('aws').providerRef,
      requiredApprovals: ['security_lead', 'devops_lead'],
      checklistSource: { kind: 'template', type: 'database' } as RotationRecord['rotation']['checklistSource'],
      preflight: [],
      startedBy: 'U0OWNER',
      startedAt: at,
      heldBy: 'U0BACKUP',
      updatedAt: at,
      previousVersionId: 'p'.repeat(64),
      previousFingerprint: `sha256:${'a'.repeat(64)}`,
      newVersionId: 'n'.repeat(64),
      newFingerprint: `sha256:${'b'.repeat(64)}`,
      placeholderVersionId: null,
      promotedAt: at,
      verifiedAt: at,
      previousLastRotated: at,
      previousNextRotation: '2027-01-30',
      previousLifecycle: 'active',
      completedAt: state === 'completed' ? at : null,
      endedAt: state === 'abandoned' || state === 'rejected' || state === 'rolled_back' ? at : null,
      endedBy: 'U0SEC',
      endReason: (hostile + ampersands).slice(0, 500),
      breakGlassBy: null,
      breakGlassReason: null,
      incidentId: null,
    },
    steps,
    approvals: [
      {
        role: 'security_lead',
        decision: state === 'rejected' ? 'rejected' : 'approved',
        decidedBy: 'U0SEC',
        decidedAt: at,
        reason: (hostile + ampersands).slice(0, 500),
      },
    ],
  };
}

const approvers = [
  { role: 'security_lead' as const, people: Array.from({ length: 50 }, (_, n) => `U0SEC${n}`) },
  { role: 'devops_lead' as const, people: Array.from({ length: 50 }, (_, n) => `U0OPS${n}`) },
];
const longError = {
  kind: 'error' as const,
  text: (hostile + ampersands).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').repeat(3),
};

/** Nothing a person or a provider wrote reaches Slack as markup. */
function expectNoRawMarkup(surface: unknown): void {
  const text = JSON.stringify(surface);
  expect(text).not.toContain('<!channel>');
  expect(text).not.toContain('<@U0BOSS>');
  expect(text).not.toContain('<https://evil');
  const raw = /.{0,60}&(?!amp;|lt;|gt;).{0,20}/.exec(text);
  expect(raw?.[0] ?? null).toBeNull();
}

describe('rotation views stay within Block Kit limits with the worst data', () => {
  it('the rotation modal in every state, for the holder, another person and an approver, working or with a long error', () => {
    const secret = worstSecret('aws');
    for (const [state, settled] of [
      ['awaiting_approval', 3],
      ['in_progress', 12],
      ['in_progress', MAX_CHECKLIST_STEPS],
      ['completed', MAX_CHECKLIST_STEPS],
      ['abandoned', 7],
      ['rejected', 2],
      ['rolled_back', MAX_CHECKLIST_STEPS],
    ] as const) {
      const record = worstRecord(state, settled);
      for (const viewer of ['U0BACKUP', 'U0OWNER', 'U0SEC']) {
        for (const extras of [{}, { working: 'step_12' }, { flash: longError }, { approverRole: 'devops_lead' as const }]) {
          const view = rotationModal({ record, secret, viewer, approvers, rollbackUntil: state === 'completed' ? at : null, ...extras });
          expect(blockKitViolations({ kind: 'modal', view }), `${state}/${settled} for ${viewer}`).toEqual([]);
          expectNoRawMarkup(view.blocks);
        }
      }
    }
  });

  it('the start modal: the longest checklist, every preflight finding long, a recent rotation to roll back', () => {
    for (const provider of ['aws', 'vault', 'manual'] as const) {
      const secret = worstSecret(provider);
      const preflight: PreflightCheck[] = Array.from({ length: 12 }, (_, n) => ({
        check: `check_${n}`,
        status: n % 3 === 0 ? 'blocking' : n % 3 === 1 ? 'warning' : 'ok',
        message: (hostile + ampersands).slice(0, 1500),
      }));
      const checklist = worstRecord('in_progress', 0).steps;
      for (const blocking of [true, false]) {
        const view = rotationStartModal({
          secret,
          checklist,
          requiredApprovals: ['security_lead', 'devops_lead'],
          preflight: blocking ? preflight : preflight.map((check) => ({ ...check, status: 'ok' })),
          recent: { record: worstRecord('completed', MAX_CHECKLIST_STEPS), rollbackUntil: at },
          flash: longError,
        });
        expect(blockKitViolations({ kind: 'modal', view }), `${provider}, blocking ${blocking}`).toEqual([]);
        expectNoRawMarkup(view.blocks);
      }
    }
  });

  it('the loading, problem, picker and reason modals', () => {
    const secret = worstSecret('aws');
    const views = [
      rotationLoadingModal(secret.name, 'Starting the rotation of'),
      rotationProblemModal(secret.name, longError.text),
      rotationPickerModal(Array.from({ length: 300 }, (_, n) => ({ ...secret, name: `${secret.name}${n}` }))),
      rotationPickerModal([]),
      ...(['note', 'skip', 'abandon', 'reject', 'rollback'] as const).map((purpose) =>
        rotationReasonModal(
          {
            purpose,
            rotationId: 123456789012,
            version: 999,
            step: 'step_12',
            rootViewId: `V${'9'.repeat(30)}`,
            message: { channel: 'D0123456789', ts: '1700000000.000100' },
          },
          { secretName: secret.name, stepTitle: step(1, 'pending').title },
        ),
      ),
      // A rollback with the most a plan can hold, every text as long and hostile as it gets.
      rotationReasonModal(
        { purpose: 'rollback', rotationId: 123456789012, version: null, step: null, rootViewId: `V${'9'.repeat(30)}`, message: null },
        { secretName: secret.name, stepTitle: null },
        Array.from({ length: 12 }, (_, n) => ({
          id: `undo_step_${n}`,
          label: (hostile + ampersands).slice(0, 120),
          detail: (hostile + ampersands).repeat(4).slice(0, 2000),
        })),
      ),
    ];
    for (const view of views) {
      expect(blockKitViolations({ kind: 'modal', view }), view.title.text).toEqual([]);
      expectNoRawMarkup(view.blocks);
    }
  });

  it('every rotation message: approval request and decision, notices, announcements, removal, the not-updated DM', () => {
    const record = worstRecord('completed', MAX_CHECKLIST_STEPS);
    const messages = [
      ...(['aws', 'vault', 'manual'] as const).flatMap((provider) => [
        approvalRequestMessage(worstRecord('awaiting_approval', 3), worstSecret(provider), { reminder: true }),
        completionAnnouncement(record, worstSecret(provider), { store: BUILT_IN_STORES.of(provider), removalAt: at, rollbackUntil: at }),
        completionAnnouncement(
          { ...record, approvals: [] },
          { ...worstSecret(provider), retrievalInstructions: null },
          { store: BUILT_IN_STORES.of(provider), removalAt: null, rollbackUntil: null },
        ),
      ]),
      approvalDecidedMessage(record, { kind: 'rejected', reason: (hostile + ampersands).slice(0, 500), at }),
      decisionNoticeMessage(record, { role: 'security_lead', by: 'U0SEC', kind: 'rejected', reason: (hostile + ampersands).slice(0, 500) }),
      decisionNoticeMessage(record, { role: 'devops_lead', by: 'U0OPS', kind: 'approved', reason: null }),
      staleRotationMessage(worstRecord('in_progress', 12), 'holder'),
      staleRotationMessage(worstRecord('in_progress', 12), 'security'),
      rollbackAnnouncement(
        worstRecord('rolled_back', MAX_CHECKLIST_STEPS),
        null,
        BUILT_IN_STORES.of(worstRecord('rolled_back', 1).rotation.provider),
      ),
      rollbackAnnouncement(
        worstRecord('rolled_back', MAX_CHECKLIST_STEPS),
        {
          restored: { versionId: 'v'.repeat(64), fingerprint: `sha256:${'f'.repeat(64)}`, copyOf: 'p'.repeat(64) },
          confirmed: Array.from({ length: 10 }, (_, n) => ({ id: `item_${n}`, label: (hostile + ampersands).slice(0, 75) })),
        },
        BUILT_IN_STORES.of(worstRecord('rolled_back', 1).rotation.provider),
      ),
      removalDueMessage(record),
      removalDueMessage({ ...record, rotation: { ...record.rotation, provider: 'manual' } }),
      removalDoneMessage(record, 'U0OWNER'),
      modalNotUpdatedMessage(record.rotation.secretName, 'x'.repeat(300), longError),
    ];
    for (const message of messages) {
      expect(blockKitViolations({ kind: 'message', blocks: message.blocks }), message.text).toEqual([]);
      expect(message.text.length).toBeLessThanOrEqual(4000);
      expectNoRawMarkup(message.blocks);
    }
  });

  it('the App Home with the most rotations in progress and awaiting approval', () => {
    const records = Array.from({ length: 40 }, () => worstRecord('in_progress', 12));
    const view = homeView(
      { userId: 'U0OWNER', secrets: [], rotations: records, awaitingApproval: records },
      DateTime.fromISO(at, { zone: 'utc' }),
      30,
    );
    expect(blockKitViolations({ kind: 'home', view })).toEqual([]);
    expectNoRawMarkup(view.blocks);
  });
});
