import type { FollowUp } from '../../follow-ups/follow-up.js';
import type { SlackFollowUpDeps } from './slack-follow-up-deps.js';
import { replacedAtTarget, rollbackOutcomeOf } from '../../rotation/rollback-plan.js';
import type { RotationRecord } from '../../rotation/rotation.js';
import { ROTATION_FOLLOW_UPS, rotationIdOfTopic } from '../../rotation/rotation-follow-ups.js';
import {
  approvalClosedMessage,
  approvalRequestMessage,
  completionAnnouncement,
  decisionNoticeMessage,
  removalDueMessage,
  rollbackAnnouncement,
  staleRotationMessage,
  takenOverMessage,
} from '../views/rotation/rotation-messages.js';
import { OWNERSHIP_FOLLOW_UPS } from '../../inventory/ownership-service.js';
import { formerOwnerMessage } from '../views/secret-change-messages.js';
import { closeAsks, openAsks } from './asking-messages.js';
import { messageFollowUp, type FollowUpPost } from './message-follow-up.js';
import { registerIncidentSlackFollowUps } from './slack-incident-follow-ups.js';
import { registerReferenceSlackFollowUps } from './slack-reference-follow-ups.js';
import { registerTriggerSlackFollowUps } from './slack-trigger-follow-ups.js';
import type { SlackPoster } from './slack-poster.js';

/**
 * The follow-ups that post to Slack (the incident's, in slack-incident-follow-ups.ts). Each
 * renders when it fires, from the rotation as it is then; one whose moment has passed (the role was filled, the rotation moved on) sends nothing.
 */
export function registerSlackFollowUps(deps: SlackFollowUpDeps, poster: SlackPoster): void {
  const { followUps, rotation } = deps;
  const register = (kind: string, render: (record: RotationRecord, followUp: FollowUp) => FollowUpPost | null) =>
    followUps.service.register(
      messageFollowUp(kind, poster, (followUp) => {
        const id = rotationIdOfTopic(followUp.topic);
        const record = id === null ? null : rotation.get(id);
        return record ? render(record, followUp) : null;
      }),
    );
  const isOpen = (record: RotationRecord) => record.rotation.state === 'awaiting_approval' || record.rotation.state === 'in_progress';
  const secretOf = (record: RotationRecord) => deps.inventoryService.require(record.rotation.secretName);
  const user = (followUp: FollowUp) => String(followUp.payload.user ?? '');
  /** Still worth asking this person: the domain's one rule of who may still approve (RotationQueries.approvableBy). */
  const stillNeeds = (record: RotationRecord, person: string) => rotation.approvableBy(record, person) !== null;

  for (const [kind, reminder] of [
    [ROTATION_FOLLOW_UPS.approvalRequest, false],
    [ROTATION_FOLLOW_UPS.approvalReminder, true],
  ] as const) {
    register(kind, (record, followUp) =>
      stillNeeds(record, user(followUp))
        ? { to: { user: user(followUp) }, message: approvalRequestMessage(record, secretOf(record), { reminder }) }
        : null,
    );
  }
  register(ROTATION_FOLLOW_UPS.decisionNotice, (record, followUp) => {
    const [kind, role] = followUp.occurrence.split(':');
    const decision = record.approvals.find((approval) => approval.role === role);
    if (!decision || (kind !== 'approved' && kind !== 'rejected')) return null;
    return {
      to: { user: record.rotation.heldBy },
      message: decisionNoticeMessage(record, { role: decision.role, by: decision.decidedBy, kind, reason: decision.reason }),
    };
  });
  for (const [kind, audience] of [
    [ROTATION_FOLLOW_UPS.staleNudge, 'holder'],
    [ROTATION_FOLLOW_UPS.staleEscalation, 'security'],
  ] as const) {
    register(kind, (record, followUp) =>
      isOpen(record) && record.rotation.version === Number(followUp.payload.version)
        ? { to: { user: user(followUp) }, message: staleRotationMessage(record, audience) }
        : null,
    );
  }
  register(ROTATION_FOLLOW_UPS.announce, (record, followUp) => {
    if (record.rotation.state !== 'completed' && record.rotation.state !== 'rolled_back') return null;
    const removal = followUps.repo.find(ROTATION_FOLLOW_UPS.removalDue, followUp.topic);
    const until = rotation.rollbackUntil(record);
    const secret = secretOf(record);
    const replacedBy = replacedAtTarget(record, secret.type)[0]?.step.title ?? null;
    return {
      to: { channel: String(followUp.payload.channel) },
      message: completionAnnouncement(record, secret, {
        store: deps.stores.of(secret.provider),
        removalAt: removal?.dueAt ?? null,
        rollbackUntil: until ? (until.toUTC().toISO() as string) : null,
        replacedBy,
      }),
    };
  });
  register(ROTATION_FOLLOW_UPS.rolledBack, (record, followUp) =>
    record.rotation.state === 'rolled_back'
      ? {
          to: { channel: String(followUp.payload.channel) },
          message: rollbackAnnouncement(record, rollbackOutcomeOf(followUp.payload.rollback), deps.stores.of(record.rotation.provider)),
        }
      : null,
  );
  // Unless they took it back meanwhile.
  register(ROTATION_FOLLOW_UPS.takenOver, (record, followUp) =>
    user(followUp) !== record.rotation.heldBy
      ? { to: { user: user(followUp) }, message: takenOverMessage(record, String(followUp.payload.by)) }
      : null,
  );
  register(ROTATION_FOLLOW_UPS.removalDue, (record) =>
    record.rotation.state === 'completed' ? { to: { user: record.rotation.heldBy }, message: removalDueMessage(record) } : null,
  );
  followUps.service.register(
    messageFollowUp(OWNERSHIP_FOLLOW_UPS.formerOwnerNotice, poster, (followUp) => {
      const secret = deps.inventory.getById(Number(followUp.payload.secretId));
      return secret
        ? {
            to: { user: user(followUp) },
            message: formerOwnerMessage(secret.name, String(followUp.payload.owner), String(followUp.payload.by)),
          }
        : null;
    }),
  );
  // The approval requests whose question is over, redrawn in place once each (asking-messages.ts).
  followUps.service.register({
    kind: ROTATION_FOLLOW_UPS.requestsRedraw,
    async run(followUp) {
      const id = rotationIdOfTopic(followUp.topic);
      const record = id === null ? null : rotation.find(id);
      if (!record) return { outcome: { skipped: true } };
      const asks = openAsks(followUps.repo, followUp.topic, [ROTATION_FOLLOW_UPS.approvalRequest, ROTATION_FOLLOW_UPS.approvalReminder]);
      const closed = await closeAsks(followUps.repo, poster, asks, (ask) =>
        stillNeeds(record, ask.followUp.occurrence) ? null : approvalClosedMessage(record, ask.followUp.occurrence),
      );
      return { outcome: { closed } };
    },
    reconcile: () => Promise.resolve(null),
  });
  registerIncidentSlackFollowUps(deps, poster);
  registerReferenceSlackFollowUps(deps, poster);
  registerTriggerSlackFollowUps(deps, poster);
}
