import { DateTime } from 'luxon';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import { incidentLadder, nextLevel } from './incident-ladder.js';
import { peopleOf, QUIET_EVENT_KINDS, type NewIncidentEvent } from './rotation-incident-events.js';
import type { RevocationServiceDeps } from './revocation-deps.js';
import type { IncidentQueries } from './incident-queries.js';
import type { IncidentTransitions } from './incident-transitions.js';
import type { IncidentFollowUpPlan } from './incident-follow-up-plan.js';

/** Paging up the escalation ladder until someone acknowledges, and what Slack tells back about pages and the status message. */
export class IncidentEscalation {
  constructor(
    private readonly deps: RevocationServiceDeps,
    private readonly queries: IncidentQueries,
    private readonly writer: IncidentTransitions,
    private readonly plan: IncidentFollowUpPlan,
  ) {}

  /**
   * Nobody acknowledged within `incident.ack_minutes`: pages the next level of the escalation
   * path that has someone not yet paged. Step `n` is recorded once (its event says what it did),
   * so a crash and a rerun pages nobody twice; returns the next step to schedule, if any.
   */
  escalate(id: number, step: number): FollowUpRequest[] {
    const record = this.queries.get(id);
    const { incident } = record;
    if (incident.state !== 'open' || incident.acknowledgedAt) return [];
    const key = `escalated:${step}`;
    const done = this.deps.repo.eventByKey(id, key);
    if (done) return done.details.level ? [this.plan.escalation(id, step + 1, DateTime.fromISO(done.at, { zone: 'utc' }))] : [];
    const secret = this.deps.inventory.get(incident.secretName);
    const paged = new Set([incident.responder, ...record.pages.map((page) => page.userId)]);
    const next = secret ? nextLevel(incidentLadder(secret, this.deps.policy, this.deps.groups ?? null), paged) : null;
    const now = this.queries.now();
    const minutes = this.deps.policy.incident.ackMinutes;
    this.deps.audit.record(() => {
      const events: NewIncidentEvent[] = next
        ? [
            {
              actor: 'rotor',
              kind: 'escalated',
              key,
              summary: `Nobody acknowledged within ${minutes} minutes: paging the next level (${next.level.replace('_', ' ')}): ${next.people.join(', ')}.`,
              details: { level: next.level, step, people: next.people },
            },
            ...this.writer.pageEvents(id, [next], now, 'escalation'),
          ]
        : [
            {
              actor: 'rotor',
              kind: 'escalation_exhausted',
              key,
              summary: `Nobody acknowledged within ${minutes} minutes, and everyone on the escalation path has been paged.`,
              details: { step },
            },
          ];
      this.writer.apply(id, now, {}, events);
      return {
        result: undefined,
        events: [
          {
            actor: 'rotor',
            action: 'incident.escalated',
            secret: incident.secretName,
            details: { incident: id, step, level: next?.level ?? null, paged: next?.people ?? [] },
          },
        ],
      };
    });
    return next ? [this.plan.escalation(id, step + 1, DateTime.fromISO(now, { zone: 'utc' }))] : [];
  }

  /** A page that could not be delivered (the person left Slack, or blocks DMs): on the timeline, so the escalation is seen to matter. */
  notePageUndelivered(id: number, user: string, why: string): void {
    this.writer.recordEvents(id, [
      {
        actor: 'rotor',
        kind: 'page_undelivered',
        key: `page_undelivered:${user}`,
        summary: `Could not page ${user}: ${why}`,
        details: { people: peopleOf(user) },
      },
    ]);
  }

  /**
   * The status message is in the channel: its ts is recorded, and what waited for it is returned
   * to schedule: a thread reply for every event so far, in order, and a redraw if the incident
   * changed after the message was rendered at `renderedVersion` (unknown after a crash: redrawn).
   */
  statusMessagePosted(id: number, ts: string, renderedVersion: number | null): FollowUpRequest[] {
    this.deps.repo.setStatusMessage(id, ts);
    const { incident, events } = this.queries.get(id);
    const now = this.queries.now();
    const waiting = events.filter((event) => !QUIET_EVENT_KINDS.has(event.kind)).map((event) => this.writer.threadEvent(id, event.id, now));
    if (renderedVersion === null || incident.version > renderedVersion) waiting.push(this.writer.statusRefresh(id, incident.version, now));
    // Asked from inside a sweep: the next one, right after it, sends them.
    this.deps.kickFollowUps?.();
    return waiting;
  }
}
