import { RotorError } from '../core/errors.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import type { RotationRecord } from '../rotation/rotation.js';
import { inWriteTransaction } from '../storage/database.js';
import { INCIDENT_FOLLOW_UPS, incidentTopic, type Incident } from './incident.js';
import type { PageLevel } from './incident-ladder.js';
import type { IncidentChange } from './incident-repo.js';
import { signOffNotice, signOffPlan } from './sign-off.js';
import { peopleOf, QUIET_EVENT_KINDS, type NewIncidentEvent } from './rotation-incident-events.js';
import type { RevocationServiceDeps } from './revocation-deps.js';
import type { IncidentQueries } from './incident-queries.js';

/**
 * One change to an incident: conditional on its state, in one transaction with its timeline
 * events, their audit events, the status message redrawn and a thread reply per event.
 */
export class IncidentTransitions {
  constructor(
    private readonly deps: RevocationServiceDeps,
    private readonly queries: IncidentQueries,
  ) {}

  /**
   * Records events with a change (which bumps the incident's version) in one transaction, and
   * schedules what shows them: a thread reply per new event, and a redraw of the status message.
   */
  apply(id: number, now: string, change: IncidentChange, events: readonly NewIncidentEvent[], fromState: Incident['state'] = 'open'): void {
    inWriteTransaction(this.deps.db, () => {
      if (!this.deps.repo.update(id, change, fromState)) {
        const current = this.queries.incident(id);
        throw new RotorError(
          'conflict',
          `Incident #${id} is ${current.state} (since ${current.closedAt ?? current.openedAt}); reload it to see where it stands.`,
        );
      }
      // Until the status message is posted there is no thread to reply in nor message to redraw: its post schedules what waited (statusMessagePosted).
      const { statusTs, version } = this.queries.incident(id);
      for (const event of events) {
        const { id: eventId, added } = this.deps.repo.addEvent(id, {
          at: now,
          actor: event.actor,
          kind: event.kind,
          key: event.key,
          summary: event.summary,
          details: event.details ?? {},
        });
        if (added && statusTs && !QUIET_EVENT_KINDS.has(event.kind)) this.deps.followUps.schedule(this.threadEvent(id, eventId, now));
      }
      if (statusTs) this.deps.followUps.schedule(this.statusRefresh(id, version, now));
    });
  }

  threadEvent(id: number, eventId: number, dueAt: string): FollowUpRequest {
    return {
      kind: INCIDENT_FOLLOW_UPS.threadEvent,
      topic: incidentTopic(id),
      occurrence: `e${eventId}`,
      dueAt,
      payload: { event: eventId },
    };
  }

  statusRefresh(id: number, version: number, dueAt: string): FollowUpRequest {
    return { kind: INCIDENT_FOLLOW_UPS.statusRefresh, topic: incidentTopic(id), occurrence: `v${version}`, dueAt, payload: { version } };
  }

  /** Events recorded on their own, outside another change (a failure to note). */
  recordEvents(id: number, events: readonly NewIncidentEvent[]): void {
    this.apply(id, this.queries.now(), {}, events, this.queries.incident(id).state);
  }

  /**
   * When no security lead may sign off the break-glass rotation, the timeline says so and names
   * who can (the policy's fallback) or that nobody can: at the opening, and again when the rotation
   * ends if those who worked it changed that.
   */
  signOffNoticeEvents(breakGlassBy: string, rotation: RotationRecord | null): NewIncidentEvent[] {
    const plan = signOffPlan(
      this.deps.policy,
      breakGlassBy,
      rotation && { record: rotation, tookOver: this.deps.rotation.tookOver(rotation) },
      this.deps.groups ?? null,
    );
    const notice = signOffNotice(this.deps.policy, plan, breakGlassBy);
    if (!notice) return [];
    // Keyed by who can: said again at the end only if the people who worked the rotation changed it.
    return [
      {
        actor: 'rotor',
        kind: 'sign_off_fallback',
        key: `sign_off_fallback:${plan.people.join(',')}`,
        summary: notice,
        details: { people: peopleOf(breakGlassBy, ...plan.people), signers: plan.people, fallback: plan.fallback?.setting ?? null },
      },
    ];
  }

  /** Pages the people of some levels (each person once per incident), with an event per page. */
  pageEvents(id: number, levels: readonly PageLevel[], now: string, why: 'paged' | 'escalation'): NewIncidentEvent[] {
    const events: NewIncidentEvent[] = [];
    for (const rung of levels) {
      for (const person of rung.people) {
        if (!this.deps.repo.addPage(id, person, rung.level, now)) continue;
        this.deps.followUps.schedule({
          kind: INCIDENT_FOLLOW_UPS.page,
          topic: incidentTopic(id),
          occurrence: person,
          dueAt: now,
          payload: { user: person, level: rung.level },
        });
        events.push({
          actor: 'rotor',
          kind: 'paged',
          key: `paged:${person}`,
          summary: `Paged ${person} (${rung.level.replace('_', ' ')}${why === 'escalation' ? ', escalation' : ''}).`,
          details: { level: rung.level, people: [person] },
        });
      }
    }
    return events;
  }
}
