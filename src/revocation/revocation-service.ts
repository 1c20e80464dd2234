import { actorId, type Actor } from '../access/actor.js';
import type { AuditEventInput } from '../audit/audit-event.js';
import { RotorError } from '../core/errors.js';
import type { RotationRecord } from '../rotation/rotation.js';
import { afterCommit } from '../storage/database.js';
import { INCIDENT_FOLLOW_UPS, incidentTopic, type IncidentRecord } from './incident.js';
import type { IncidentChange } from './incident-repo.js';
import { parseStatusUpdate } from './revocation-request.js';
import { signOffPlan } from './sign-off.js';
import { incidentEventsOf, peopleOf, type NewIncidentEvent } from './rotation-incident-events.js';
import type { RotationSubscriber } from '../rotation/rotation-subscribers.js';
import type { RevocationServiceDeps } from './revocation-deps.js';
import { IncidentClosing, secondsBetween } from './incident-closing.js';
import { IncidentEscalation } from './incident-escalation.js';
import { IncidentFollowUpPlan } from './incident-follow-up-plan.js';
import { IncidentOpening } from './incident-opening.js';
import { IncidentQueries } from './incident-queries.js';
import { IncidentTransitions } from './incident-transitions.js';

export type { IncidentMetricEvent, RevocationServiceDeps } from './revocation-deps.js';
export { IncidentOpenError } from './revocation-errors.js';
export type { RevocationOpening } from './incident-opening.js';

/**
 * Emergency revocation: the incident behind `/revoke`. The incident record is the truth, every
 * change to it is one transaction with its timeline events, its audit events and the follow-ups
 * that show it (incident-transitions.ts), so a crash at any point leaves nothing half-done and a
 * retry repeats nothing. Its emergency rotation is a rotation like any other, with the emergency
 * checklist; the incident follows it (`onRotationChange`). This class holds the acknowledgement,
 * status updates and that following, and is the one door to the others: reads
 * (incident-queries.ts), opening (incident-opening.ts), escalation (incident-escalation.ts),
 * closing (incident-closing.ts) and the follow-ups (incident-follow-up-plan.ts).
 */
export class RevocationService implements RotationSubscriber {
  private readonly queries: IncidentQueries;
  private readonly writer: IncidentTransitions;
  private readonly plan: IncidentFollowUpPlan;
  private readonly opening: IncidentOpening;
  private readonly escalations: IncidentEscalation;
  private readonly closing: IncidentClosing;

  constructor(private readonly deps: RevocationServiceDeps) {
    this.queries = new IncidentQueries(deps);
    this.writer = new IncidentTransitions(deps, this.queries);
    this.plan = new IncidentFollowUpPlan(deps);
    this.opening = new IncidentOpening(deps, this.queries, this.writer, this.plan);
    this.escalations = new IncidentEscalation(deps, this.queries, this.writer, this.plan);
    this.closing = new IncidentClosing(deps, this.queries, this.writer);
  }

  // The reads, the opening, the escalation and the closing, as their parts define them.
  readonly requireResponder: IncidentQueries['requireResponder'] = (...args) => this.queries.requireResponder(...args);
  readonly revocable: IncidentQueries['revocable'] = (...args) => this.queries.revocable(...args);
  readonly get: IncidentQueries['get'] = (...args) => this.queries.get(...args);
  readonly list: IncidentQueries['list'] = (...args) => this.queries.list(...args);
  readonly openFor: IncidentQueries['openFor'] = (...args) => this.queries.openFor(...args);
  readonly countOpen: IncidentQueries['countOpen'] = (...args) => this.queries.countOpen(...args);
  readonly workable: IncidentQueries['workable'] = (...args) => this.queries.workable(...args);
  readonly prepare: IncidentOpening['prepare'] = (...args) => this.opening.prepare(...args);
  readonly open: IncidentOpening['open'] = (...args) => this.opening.open(...args);
  readonly proceed: IncidentOpening['proceed'] = (...args) => this.opening.proceed(...args);
  readonly retry: IncidentOpening['retry'] = (...args) => this.opening.retry(...args);
  readonly escalate: IncidentEscalation['escalate'] = (...args) => this.escalations.escalate(...args);
  readonly statusRequest: IncidentFollowUpPlan['statusRequest'] = (...args) => this.plan.statusRequest(...args);
  readonly postmortemReminder: IncidentFollowUpPlan['postmortemReminder'] = (...args) => this.plan.postmortemReminder(...args);
  readonly nextDay: IncidentFollowUpPlan['nextDay'] = (...args) => this.plan.nextDay(...args);
  readonly notePageUndelivered: IncidentEscalation['notePageUndelivered'] = (...args) => this.escalations.notePageUndelivered(...args);
  readonly statusMessagePosted: IncidentEscalation['statusMessagePosted'] = (...args) => this.escalations.statusMessagePosted(...args);
  readonly signOffPlanFor: IncidentClosing['signOffPlanFor'] = (...args) => this.closing.signOffPlanFor(...args);
  readonly signOff: IncidentClosing['signOff'] = (...args) => this.closing.signOff(...args);
  readonly closable: IncidentClosing['closable'] = (...args) => this.closing.closable(...args);
  readonly close: IncidentClosing['close'] = (...args) => this.closing.close(...args);

  /**
   * A paged person (or anyone working the incident) acknowledges: the escalation stops at the
   * first acknowledgement, and each person's is recorded once.
   */
  acknowledge(actor: Actor, id: number): IncidentRecord {
    const record = this.queries.get(id);
    const by = actorId(actor);
    const page = record.pages.find((candidate) => candidate.userId === by);
    if (!page) this.deps.authorizer.require(actor, { action: 'respond', secret: this.queries.secretOf(record.incident) });
    const { incident } = record;
    if (incident.state !== 'open')
      throw new RotorError(
        'conflict',
        `Incident #${id} was closed at ${incident.closedAt ?? 'an earlier time'}; there is nothing to acknowledge.`,
      );
    if (page?.acknowledgedAt) throw new RotorError('conflict', `You acknowledged incident #${id} at ${page.acknowledgedAt}.`);
    const now = this.queries.now();
    const first = incident.acknowledgedAt === null;
    this.deps.audit.record(() => {
      if (page) this.deps.repo.acknowledgePage(id, by, now);
      this.writer.apply(id, now, first ? { acknowledgedAt: now, acknowledgedBy: by } : {}, [
        {
          actor: by,
          kind: 'acknowledged',
          key: `acknowledged:${by}`,
          summary: `${by} acknowledged${first ? '' : ' too'}.`,
          details: { people: peopleOf(by) },
        },
      ]);
      if (first) this.deps.followUps.cancel(incidentTopic(id), INCIDENT_FOLLOW_UPS.escalate);
      return {
        result: undefined,
        events: [
          {
            actor: by,
            action: 'incident.acknowledged',
            secret: incident.secretName,
            details: { incident: id, first, paged: page !== undefined },
          },
        ],
      };
    });
    const updated = this.queries.get(id);
    if (first) this.deps.onEvent?.({ kind: 'acknowledged', incident: updated.incident, seconds: secondsBetween(incident.openedAt, now) });
    this.deps.kickFollowUps?.();
    return updated;
  }

  /** The lead's (or anyone's working the incident) status update: posted in the thread, and the next request counts from it. */
  recordStatusUpdate(actor: Actor, id: number, text: string | null): IncidentRecord {
    const { incident } = this.queries.workable(actor, id);
    const update = parseStatusUpdate(text);
    const by = actorId(actor);
    const now = this.queries.now();
    this.deps.audit.record(() => {
      this.writer.apply(id, now, { lastUpdateAt: now }, [
        {
          actor: by,
          kind: 'status_update',
          key: `status_update:${now}:${by}`,
          summary: `Status from ${by}: ${update}`,
          details: { text: update, people: peopleOf(by) },
        },
      ]);
      this.deps.followUps.cancel(incidentTopic(id), INCIDENT_FOLLOW_UPS.statusRequest);
      this.deps.followUps.schedule(this.plan.statusRequest(incident, now));
      return {
        result: undefined,
        events: [{ actor: by, action: 'incident.status_update', secret: incident.secretName, details: { incident: id, text: update } }],
      };
    });
    this.deps.kickFollowUps?.();
    return this.queries.get(id);
  }

  /**
   * Follows the emergency rotation, inside its transaction: its start links it (and fixes the
   * compromised version to what the store said was current), each step becomes an event, and its
   * end asks security for the sign-off.
   */
  onRotationChange(record: RotationRecord, events: readonly AuditEventInput[]): void {
    const { rotation } = record;
    if (rotation.kind !== 'emergency' || !rotation.incidentId) return;
    const incident = this.deps.repo.find(rotation.incidentId);
    if (!incident) return;
    const now = this.queries.now();
    const change: IncidentChange = {};
    const actions = new Set(events.map((event) => event.action));
    if (actions.has('rotation.started')) {
      change.rotationId = rotation.id;
      if (rotation.previousVersionId) {
        change.compromisedVersionId = rotation.previousVersionId;
        change.compromisedFingerprint = rotation.previousFingerprint;
      }
    }
    const disabledVersion = events
      .map((event) => (event.details ?? {}) as Record<string, unknown>)
      .find((details) => details.step === 'disable_compromised' && typeof details.versionId === 'string')?.versionId as string | undefined;
    if (disabledVersion && !incident.compromisedVersionId && !change.compromisedVersionId) change.compromisedVersionId = disabledVersion;
    const ended = actions.has('rotation.completed') || actions.has('rotation.abandoned');
    const notices: NewIncidentEvent[] = [];
    if (ended) {
      // Asked of whoever may sign off as the rotation ended: nobody who broke the glass or worked it.
      const plan = signOffPlan(
        this.deps.policy,
        rotation.breakGlassBy ?? incident.responder,
        {
          record,
          tookOver: this.deps.rotation.tookOver(record),
        },
        this.deps.groups ?? null,
      );
      for (const person of plan.people) {
        this.deps.followUps.schedule({
          kind: INCIDENT_FOLLOW_UPS.signOffRequest,
          topic: incidentTopic(incident.id),
          occurrence: person,
          dueAt: now,
          payload: { user: person },
        });
      }
      notices.push(...this.writer.signOffNoticeEvents(rotation.breakGlassBy ?? incident.responder, record));
    }
    this.writer.apply(incident.id, now, change, [...incidentEventsOf(record, events), ...notices], incident.state);
    const disabled = events.some(
      (event) =>
        event.action === 'rotation.step_done' && (event.details as Record<string, unknown> | undefined)?.step === 'disable_compromised',
    );
    afterCommit(this.deps.db, () => {
      // The status message follows the rotation now, not at the next scheduled sweep.
      this.deps.kickFollowUps?.();
      if (disabled) this.deps.onEvent?.({ kind: 'disabled', incident, seconds: secondsBetween(incident.openedAt, now) });
      if (actions.has('rotation.completed'))
        this.deps.onEvent?.({ kind: 'rotated', incident, seconds: secondsBetween(incident.openedAt, now) });
    });
  }
}
