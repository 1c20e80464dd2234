import type { FollowUp } from '../follow-ups/follow-up.js';
import type { RotationRecord } from '../rotation/rotation.js';
import { INCIDENT_FOLLOW_UPS, type Incident, type IncidentRecord } from './incident.js';
import type { SignOffPlan } from './sign-off.js';

/**
 * Whom an incident's DM follow-up asks, and what with, decided when it fires from the incident
 * as it is then: a surface (the Slack adapter) only renders and posts it. Null: nothing is sent
 * (the incident closed, the page was acknowledged, that person may no longer sign off).
 */
export type IncidentNotice =
  | { kind: 'page'; to: string; level: string; escalation: boolean }
  | { kind: 'status_request'; to: string }
  | { kind: 'sign_off_request'; to: string; rotation: { id: number; state: string; breakGlassBy: string | null }; fallback: string | null }
  | { kind: 'postmortem'; to: string; hours: number };

export interface IncidentNoticeDeps {
  rotationOf(id: number): RotationRecord | null;
  signOffPlanFor(incident: Incident): SignOffPlan;
  postmortemHours: number;
}

export function incidentNotice(record: IncidentRecord, followUp: FollowUp, deps: IncidentNoticeDeps): IncidentNotice | null {
  const { incident } = record;
  const user = String(followUp.payload.user ?? '');
  switch (followUp.kind) {
    case INCIDENT_FOLLOW_UPS.page: {
      const paged = record.pages.find((candidate) => candidate.userId === user);
      if (!paged || incident.state !== 'open' || paged.acknowledgedAt) return null;
      return { kind: 'page', to: paged.userId, level: paged.level, escalation: isEscalation(record, paged.userId) };
    }
    case INCIDENT_FOLLOW_UPS.statusRequest:
      return incident.state === 'open' ? { kind: 'status_request', to: incident.responder } : null;
    case INCIDENT_FOLLOW_UPS.signOffRequest: {
      const rotationRecord = incident.rotationId ? deps.rotationOf(incident.rotationId) : null;
      if (incident.signedOffBy || !rotationRecord) return null;
      // Asked only while that person may still sign off (they did not work the rotation since).
      const plan = deps.signOffPlanFor(incident);
      if (!plan.people.includes(user)) return null;
      const { rotation } = rotationRecord;
      return {
        kind: 'sign_off_request',
        to: user,
        rotation: { id: rotation.id, state: rotation.state, breakGlassBy: rotation.breakGlassBy },
        fallback: plan.fallback?.label ?? null,
      };
    }
    case INCIDENT_FOLLOW_UPS.postmortem:
      return incident.state === 'open' ? { kind: 'postmortem', to: user, hours: deps.postmortemHours } : null;
    default:
      return null;
  }
}

/** What an earlier ask's answer is, once the incident has given it (its buttons then go), or null while it still asks. */
export type AskAnswer =
  | { kind: 'incident_closed' }
  | { kind: 'page_acknowledged'; userId: string; at: string }
  | { kind: 'status_given' }
  | { kind: 'signed_off' };

export function askAnswer(record: IncidentRecord, asked: FollowUp): AskAnswer | null {
  const { incident } = record;
  if (incident.state === 'closed') return { kind: 'incident_closed' };
  switch (asked.kind) {
    case INCIDENT_FOLLOW_UPS.page: {
      const page = record.pages.find((candidate) => candidate.userId === asked.occurrence);
      return page?.acknowledgedAt ? { kind: 'page_acknowledged', userId: page.userId, at: page.acknowledgedAt } : null;
    }
    case INCIDENT_FOLLOW_UPS.statusRequest:
      return asked.doneAt && incident.lastUpdateAt > asked.doneAt ? { kind: 'status_given' } : null;
    case INCIDENT_FOLLOW_UPS.signOffRequest:
      return incident.signedOffBy ? { kind: 'signed_off' } : null;
    default:
      return null;
  }
}

/** Paged by the escalation rather than at the revocation (its page event says so). */
function isEscalation(record: IncidentRecord, userId: string): boolean {
  return record.events.some(
    (event) => event.kind === 'escalated' && Array.isArray(event.details.people) && event.details.people.includes(userId),
  );
}
