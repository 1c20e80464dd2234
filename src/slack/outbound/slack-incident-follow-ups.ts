import { DeliveryError } from '../../core/delivery.js';
import { RotorError } from '../../core/errors.js';
import { FOLLOW_UP_METADATA_EVENT_TYPE, followUpKey, type FollowUp, type FollowUpResult } from '../../follow-ups/follow-up.js';
import { INCIDENT_FOLLOW_UPS, incidentIdOfTopic, type IncidentRecord } from '../../revocation/incident.js';
import { disableByHand } from '../../revocation/disable-by-hand.js';
import { askAnswer, incidentNotice, type IncidentNoticeDeps } from '../../revocation/incident-notices.js';
import type { SlackFollowUpDeps } from './slack-follow-up-deps.js';
import { incidentStatusMessage } from '../views/incident/incident-status-message.js';
import {
  incidentClosedAskMessage,
  pageAcknowledgedMessage,
  pageMessage,
  postmortemReminderMessage,
  signedOffMessage,
  signOffRequestMessage,
  statusRequestAnsweredMessage,
  statusRequestMessage,
  threadEventMessage,
} from '../views/incident/incident-messages.js';
import type { SlackMessage } from '../views/slack-message.js';
import { closeAsks, openAsks } from './asking-messages.js';
import { messageFollowUp, type FollowUpPost } from './message-follow-up.js';
import type { SlackPoster } from './slack-poster.js';

/** Not an error: the status message is not posted yet, so this waits for it (a retry with backoff). */
class StatusMessageNotYet extends RotorError {
  constructor() {
    super('conflict', 'the incident status message is not posted yet; this waits for it');
  }
}

/**
 * The incident follow-ups that post to Slack: the status message (posted once, then redrawn in
 * place with chat.update), a thread reply per event, the pages, the status requests, the
 * sign-off requests and the postmortem reminders. Each renders from the incident as it is when
 * it fires; the incident record is the truth and every message a view of it, so a redraw that
 * Slack refused is simply done again.
 */
export function registerIncidentSlackFollowUps(
  deps: Pick<SlackFollowUpDeps, 'followUps' | 'revocation' | 'rotation' | 'stores' | 'policy'>,
  poster: SlackPoster,
): void {
  const { followUps, revocation, rotation } = deps;
  const recordOf = (followUp: FollowUp): IncidentRecord | null => {
    const id = incidentIdOfTopic(followUp.topic);
    return id === null ? null : revocation.get(id);
  };
  const statusOf = (record: IncidentRecord): SlackMessage => {
    const { incident } = record;
    const rotationRecord = incident.rotationId ? rotation.get(incident.rotationId) : null;
    const plan = revocation.signOffPlanFor(incident);
    return incidentStatusMessage({
      record,
      rotation: rotationRecord,
      disableByHand: rotationRecord
        ? disableByHand(
            rotationRecord.rotation,
            incident.compromisedVersionId,
            incident.destroy,
            deps.stores.of(rotationRecord.rotation.provider),
          )
        : [],
      signOff: { people: plan.people, fallback: plan.fallback?.label ?? null },
    });
  };
  const user = (followUp: FollowUp) => String(followUp.payload.user ?? '');
  const register = (kind: string, render: (record: IncidentRecord, followUp: FollowUp) => FollowUpPost | null) =>
    followUps.service.register(
      messageFollowUp(kind, poster, (followUp) => {
        const record = recordOf(followUp);
        return record ? render(record, followUp) : null;
      }),
    );

  // The status message: posted once; its ts is recorded on the incident, found again after a crash,
  // and the thread replies and the redraw that waited for it follow it.
  const renderedVersions = new Map<number, number>();
  const post = messageFollowUp(INCIDENT_FOLLOW_UPS.statusPost, poster, (followUp) => {
    const record = recordOf(followUp);
    if (!record || record.incident.statusTs) return null;
    renderedVersions.set(followUp.id, record.incident.version);
    return { to: { channel: record.incident.channel }, message: statusOf(record) };
  });
  const remember = (followUp: FollowUp, result: FollowUpResult | null, renderedVersion: number | null): FollowUpResult | null => {
    const id = incidentIdOfTopic(followUp.topic);
    if (id === null || typeof result?.outcome?.ts !== 'string') return result;
    return { ...result, then: [...(result.then ?? []), ...revocation.statusMessagePosted(id, result.outcome.ts, renderedVersion)] };
  };
  followUps.service.register({
    kind: INCIDENT_FOLLOW_UPS.statusPost,
    async run(followUp) {
      try {
        const result = await post.run(followUp);
        return remember(followUp, result, renderedVersions.get(followUp.id) ?? null) as FollowUpResult;
      } finally {
        renderedVersions.delete(followUp.id);
      }
    },
    async reconcile(followUp) {
      try {
        return remember(followUp, await post.reconcile(followUp), null);
      } finally {
        renderedVersions.delete(followUp.id);
      }
    },
  });

  // Redrawn in place after every change; an older redraw than the newest is moot.
  followUps.service.register({
    kind: INCIDENT_FOLLOW_UPS.statusRefresh,
    async run(followUp) {
      const record = recordOf(followUp);
      if (!record || Number(followUp.payload.version) < record.incident.version) return { outcome: { skipped: true } };
      const { incident } = record;
      if (!incident.statusTs) {
        if (followUps.repo.find(INCIDENT_FOLLOW_UPS.statusPost, followUp.topic)?.state === 'done') return { outcome: { skipped: true } };
        throw new StatusMessageNotYet();
      }
      try {
        await poster.update({ channel: incident.channel, ts: incident.statusTs }, statusOf(record));
        // With it, the DMs that asked for something now answered lose their buttons (asking-messages.ts).
        await closeAsks(followUps.repo, poster, openAsks(followUps.repo, followUp.topic, INCIDENT_ASKS), (ask) =>
          answeredAsk(record, ask.followUp),
        );
      } catch (error) {
        // An update is safe to repeat: an unclear answer is retried soon rather than looked up.
        if (error instanceof DeliveryError && error.failure === 'ambiguous') throw new RotorError('slack', error.message, { cause: error });
        throw error;
      }
      return { outcome: { ts: incident.statusTs, version: incident.version } };
    },
    reconcile: () => Promise.resolve(null),
  });

  // A reply in the status message's thread per event, exactly once.
  followUps.service.register({
    kind: INCIDENT_FOLLOW_UPS.threadEvent,
    async run(followUp) {
      const found = threadTarget(followUp);
      if (!found) return { outcome: { skipped: true } };
      const { thread, message } = found;
      const ref = await poster.post(
        thread.channel,
        message,
        { eventType: FOLLOW_UP_METADATA_EVENT_TYPE, payload: { key: followUpKey(followUp) } },
        thread.ts,
      );
      return { outcome: { channel: ref.channel, ts: ref.ts } };
    },
    async reconcile(followUp) {
      const found = threadTarget(followUp);
      if (!found) return { outcome: { skipped: true } };
      const key = followUpKey(followUp);
      const ref = await poster.findReplyByMetadata(found.thread, FOLLOW_UP_METADATA_EVENT_TYPE, (payload) => payload.key === key);
      return ref ? { outcome: { channel: ref.channel, ts: ref.ts } } : null;
    },
  });
  const threadTarget = (followUp: FollowUp) => {
    const record = recordOf(followUp);
    const event = record?.events.find((candidate) => candidate.id === Number(followUp.payload.event));
    if (!record || !event) return null;
    if (!record.incident.statusTs) throw new StatusMessageNotYet();
    return { thread: { channel: record.incident.channel, ts: record.incident.statusTs }, message: threadEventMessage(event) };
  };

  const notices: IncidentNoticeDeps = {
    rotationOf: (id) => rotation.get(id),
    signOffPlanFor: (incident) => revocation.signOffPlanFor(incident),
    postmortemHours: deps.policy.incident.postmortemHours,
  };
  const noticeOf = (record: IncidentRecord, followUp: FollowUp) => incidentNotice(record, followUp, notices);

  // Pages: a person who left Slack or blocks DMs is noted on the timeline, and the escalation goes on.
  const page = messageFollowUp(INCIDENT_FOLLOW_UPS.page, poster, (followUp) => {
    const record = recordOf(followUp);
    const notice = record ? noticeOf(record, followUp) : null;
    if (!record || notice?.kind !== 'page') return null;
    // How to reach the others on this incident when Slack is not enough: the policy's contacts.
    const others = [...new Set([record.incident.responder, ...record.pages.map((page) => page.userId)])].filter(
      (person) => person !== notice.to,
    );
    const contacts = others.flatMap((person) => {
      const contact = deps.policy.contacts[person];
      return contact ? [{ userId: person, ...contact }] : [];
    });
    return { to: { user: notice.to }, message: pageMessage(record.incident, notice.level, notice.escalation, contacts) };
  });
  followUps.service.register({
    kind: INCIDENT_FOLLOW_UPS.page,
    async run(followUp) {
      try {
        return await page.run(followUp);
      } catch (error) {
        if (!(error instanceof DeliveryError) || (error.failure !== 'user_gone' && error.failure !== 'dm_closed')) throw error;
        const id = incidentIdOfTopic(followUp.topic);
        if (id !== null) revocation.notePageUndelivered(id, user(followUp), error.message);
        return { outcome: { undelivered: error.failure } };
      }
    },
    reconcile: (followUp) => page.reconcile(followUp),
  });

  register(INCIDENT_FOLLOW_UPS.statusRequest, (record, followUp) => {
    const notice = noticeOf(record, followUp);
    if (notice?.kind !== 'status_request') return null;
    return {
      to: { user: notice.to },
      message: statusRequestMessage(record.incident),
      then: [revocation.statusRequest(record.incident, followUp.dueAt)],
    };
  });
  register(INCIDENT_FOLLOW_UPS.signOffRequest, (record, followUp) => {
    const notice = noticeOf(record, followUp);
    if (notice?.kind !== 'sign_off_request') return null;
    return { to: { user: notice.to }, message: signOffRequestMessage(record, notice.rotation, notice.fallback) };
  });
  register(INCIDENT_FOLLOW_UPS.postmortem, (record, followUp) => {
    const notice = noticeOf(record, followUp);
    if (notice?.kind !== 'postmortem') return null;
    return {
      to: { user: notice.to },
      message: postmortemReminderMessage(record.incident, notice.hours),
      then: [revocation.postmortemReminder(record.incident.id, notice.to, revocation.nextDay(followUp.dueAt))],
    };
  });
}

/** The incident's DMs that ask for something, with buttons. */
const INCIDENT_ASKS = [
  INCIDENT_FOLLOW_UPS.page,
  INCIDENT_FOLLOW_UPS.statusRequest,
  INCIDENT_FOLLOW_UPS.signOffRequest,
  INCIDENT_FOLLOW_UPS.postmortem,
];

/** What an ask says once the incident has answered it (incident-notices.ts decides), or null while it still asks. */
function answeredAsk(record: IncidentRecord, asked: FollowUp): SlackMessage | null {
  const { incident } = record;
  const answer = askAnswer(record, asked);
  switch (answer?.kind) {
    case 'incident_closed':
      return incidentClosedAskMessage(incident);
    case 'page_acknowledged':
      return pageAcknowledgedMessage(incident, answer.userId, answer.at);
    case 'status_given':
      return statusRequestAnsweredMessage(incident);
    case 'signed_off':
      return signedOffMessage(incident);
    default:
      return null;
  }
}
