import type { RevocationOrder } from './checklists/emergency-template.js';

/** What disabling the compromised version needs from its incident. */
export interface RevocationFacts {
  order: RevocationOrder;
  destroy: boolean;
  compromisedVersionId: string | null;
  /** While the incident is open its disable step is driven until the store shows it done. */
  incidentOpen: boolean;
}

/**
 * What a rotation asks of the incident it belongs to. Read from the incidents' own table
 * (revocation/incident-facts.ts), so it exists before the rotation service; what the rotation
 * tells incidents goes through its subscriptions (rotation-subscribers.ts).
 */
export interface IncidentLink {
  /** What an emergency rotation's incident says about the compromised version; null for a rotation of no incident. */
  revocationFacts(rotationId: number): RevocationFacts | null;
  /** The incident open on a secret, or null. */
  openOn(secretName: string): { id: number } | null;
}
