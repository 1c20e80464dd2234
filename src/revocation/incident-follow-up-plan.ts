import { membersOfRole } from '../access/role-members.js';
import { DateTime, type DurationLike } from 'luxon';
import { isoInstant as iso } from '../core/clock.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import { INCIDENT_FOLLOW_UPS, incidentTopic, type Incident } from './incident.js';
import type { RevocationServiceDeps } from './revocation-deps.js';

/** How long after `/revoke` the proceed follow-up checks that the emergency rotation started. */
const PROCEED_GRACE_MINUTES = 2;

/** The follow-ups an incident schedules: the proceed check, the status message, escalation, status requests and postmortem reminders. */
export class IncidentFollowUpPlan {
  constructor(private readonly deps: RevocationServiceDeps) {}

  /** The next status request, counted from `from` by the incident's severity (past ones skipped). */
  statusRequest(incident: Incident, from: string): FollowUpRequest {
    const dueAt = this.nextAfterNow(from, { minutes: this.deps.policy.incident.statusUpdateMinutes[incident.severity] });
    return { kind: INCIDENT_FOLLOW_UPS.statusRequest, topic: incidentTopic(incident.id), occurrence: dueAt, dueAt, payload: {} };
  }

  /** The next daily postmortem reminder to one person. */
  postmortemReminder(incidentId: number, user: string, dueAt: string): FollowUpRequest {
    return {
      kind: INCIDENT_FOLLOW_UPS.postmortem,
      topic: incidentTopic(incidentId),
      occurrence: `${dueAt}:${user}`,
      dueAt,
      payload: { user },
    };
  }

  /** The day after `dueAt` (or the first such day still to come), for the daily repeats. */
  nextDay(dueAt: string): string {
    return this.nextAfterNow(dueAt, { days: 1 });
  }

  /**
   * `from` plus as many `every` as it takes to be in the future: a repeat the bot missed (it was
   * down, or a sweep ran late) is skipped rather than sent in a burst, one per sweep, to catch up.
   */
  private nextAfterNow(from: string, every: DurationLike): string {
    const now = this.deps.clock.now();
    let next = DateTime.fromISO(from, { zone: 'utc' }).plus(every);
    while (next <= now) next = next.plus(every);
    return iso(next);
  }

  escalation(id: number, step: number, from: DateTime): FollowUpRequest {
    return {
      kind: INCIDENT_FOLLOW_UPS.escalate,
      topic: incidentTopic(id),
      occurrence: String(step),
      dueAt: iso(from.plus({ minutes: this.deps.policy.incident.ackMinutes })),
      payload: { step },
    };
  }

  /** Everything an open incident keeps doing until it closes. */
  scheduleIncident(id: number, lead: string, severity: Incident['severity'], now: string): void {
    const topic = incidentTopic(id);
    const start = DateTime.fromISO(now, { zone: 'utc' });
    // The safety net for a crash before the emergency rotation started: `open` starts it at once itself.
    this.deps.followUps.schedule({
      kind: INCIDENT_FOLLOW_UPS.proceed,
      topic,
      dueAt: iso(start.plus({ minutes: PROCEED_GRACE_MINUTES })),
      payload: {},
    });
    this.deps.followUps.schedule({ kind: INCIDENT_FOLLOW_UPS.statusPost, topic, dueAt: now, payload: {} });
    this.deps.followUps.schedule(this.escalation(id, 1, start));
    this.deps.followUps.schedule(this.statusRequest({ id, severity } as Incident, now));
    const postmortemAt = iso(start.plus({ hours: this.deps.policy.incident.postmortemHours }));
    for (const person of new Set([lead, ...membersOfRole(this.deps.policy, 'security_leads', this.deps.groups ?? null)]))
      this.deps.followUps.schedule(this.postmortemReminder(id, person, postmortemAt));
  }
}
