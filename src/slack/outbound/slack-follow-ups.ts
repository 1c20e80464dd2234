import type { FollowUp } from '../../follow-ups/follow-up.js';
import type { SlackFollowUpDeps } from './slack-follow-up-deps.js';
import { approvalStillAsked, rotationNotice, type RotationNotice, type RotationNoticeDeps } from '../../rotation/rotation-notices.js';
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
import { registerWindowSlackFollowUps } from './slack-window-follow-ups.js';
import { planThreadOf, registerPlanSlackFollowUps } from './slack-plan-follow-ups.js';
import { registerAutomaticSlackFollowUps } from './slack-automatic-follow-ups.js';
import type { SlackPoster } from './slack-poster.js';

/**
 * The follow-ups that post to Slack (the incident's, in slack-incident-follow-ups.ts). What a
 * rotation's follow-up tells, and whom, is the domain's (rotation-notices.ts), decided when it
 * fires; this renders and posts it.
 */
export function registerSlackFollowUps(deps: SlackFollowUpDeps, poster: SlackPoster): void {
  const { followUps, rotation } = deps;
  const notices: RotationNoticeDeps = {
    approvableBy: (record, person) => rotation.approvableBy(record, person),
    rollbackUntil: (record) => rotation.rollbackUntil(record),
    removalDueAt: (topic) => followUps.repo.find(ROTATION_FOLLOW_UPS.removalDue, topic)?.dueAt ?? null,
    secretOf: (record) => deps.inventoryService.require(record.rotation.secretName),
  };
  const user = (followUp: FollowUp) => String(followUp.payload.user ?? '');
  for (const kind of [
    ROTATION_FOLLOW_UPS.approvalRequest,
    ROTATION_FOLLOW_UPS.approvalReminder,
    ROTATION_FOLLOW_UPS.decisionNotice,
    ROTATION_FOLLOW_UPS.staleNudge,
    ROTATION_FOLLOW_UPS.staleEscalation,
    ROTATION_FOLLOW_UPS.announce,
    ROTATION_FOLLOW_UPS.rolledBack,
    ROTATION_FOLLOW_UPS.takenOver,
    ROTATION_FOLLOW_UPS.removalDue,
  ]) {
    followUps.service.register(
      messageFollowUp(kind, poster, (followUp) => {
        const id = rotationIdOfTopic(followUp.topic);
        const record = id === null ? null : rotation.get(id);
        const notice = record ? rotationNotice(record, followUp, notices) : null;
        return record && notice ? renderNotice(record, notice, deps) : null;
      }),
    );
  }
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
        approvalStillAsked(record, ask.followUp.occurrence, notices) ? null : approvalClosedMessage(record, ask.followUp.occurrence),
      );
      return { outcome: { closed } };
    },
    reconcile: () => Promise.resolve(null),
  });
  registerIncidentSlackFollowUps(deps, poster);
  registerReferenceSlackFollowUps(deps, poster);
  registerTriggerSlackFollowUps(deps, poster);
  registerWindowSlackFollowUps(deps, poster);
  registerPlanSlackFollowUps(deps, poster);
  registerAutomaticSlackFollowUps(deps, poster);
}

/** A rotation notice as Slack shows it. */
function renderNotice(
  record: RotationRecord,
  notice: RotationNotice,
  deps: Pick<SlackFollowUpDeps, 'stores' | 'policy' | 'followUps' | 'plans'>,
): FollowUpPost {
  switch (notice.kind) {
    case 'approval_request':
      return { to: { user: notice.to }, message: approvalRequestMessage(record, notice.secret, { reminder: notice.reminder }) };
    case 'decision':
      return { to: { user: notice.to }, message: decisionNoticeMessage(record, notice.decision) };
    case 'stale':
      return { to: { user: notice.to }, message: staleRotationMessage(record, notice.audience) };
    case 'announcement': {
      // A plan's variant is announced in the plan's one thread; the consumers' channels get it top-level.
      const threadTs = notice.channel === deps.policy.channels.announce ? planThreadOf(deps, record.rotation.id) : undefined;
      return {
        to: { channel: notice.channel },
        ...(threadTs ? { threadTs } : {}),
        message: completionAnnouncement(record, notice.secret, {
          store: deps.stores.of(notice.secret.provider),
          removalAt: notice.removalAt,
          rollbackUntil: notice.rollbackUntil,
          replacedBy: notice.replacedBy,
          consumerRegions: deps.policy.replication.consumerRegions,
        }),
      };
    }
    case 'rolled_back':
      return {
        to: { channel: notice.channel },
        message: rollbackAnnouncement(record, notice.rollback, deps.stores.of(record.rotation.provider)),
      };
    case 'taken_over':
      return { to: { user: notice.to }, message: takenOverMessage(record, notice.by) };
    case 'removal_due':
      return { to: { user: notice.to }, message: removalDueMessage(record) };
  }
}
