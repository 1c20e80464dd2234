import type { FollowUp, FollowUpHandler } from '../follow-ups/follow-up.js';
import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import { INCIDENT_FOLLOW_UPS, incidentIdOfTopic } from './incident.js';
import type { RevocationService } from './revocation-service.js';

/**
 * The incident follow-ups that need no Slack: starting the emergency rotation after a crash, and
 * climbing the escalation path. Both are idempotent in the database, so an interrupted run is
 * simply run again (reconcile finds nothing to settle).
 */
export function registerIncidentFollowUps(followUps: FollowUpService, revocation: RevocationService): void {
  const idOf = (followUp: FollowUp): number => {
    const id = incidentIdOfTopic(followUp.topic);
    if (id === null) throw new Error(`${followUp.kind} follow-up with a topic that names no incident: ${followUp.topic}`);
    return id;
  };
  const handlers: FollowUpHandler[] = [
    {
      kind: INCIDENT_FOLLOW_UPS.proceed,
      async run(followUp) {
        await revocation.proceed(idOf(followUp));
        return { outcome: {} };
      },
      reconcile: () => Promise.resolve(null),
    },
    {
      kind: INCIDENT_FOLLOW_UPS.escalate,
      run(followUp) {
        const step = Number(followUp.payload.step ?? followUp.occurrence);
        return Promise.resolve({ outcome: { step }, then: revocation.escalate(idOf(followUp), step) });
      },
      reconcile: () => Promise.resolve(null),
    },
  ];
  for (const handler of handlers) followUps.register(handler);
}
