import type { AuditEventInput } from '../audit/audit-event.js';
import type { RevocationOrder } from './checklists/emergency-template.js';
import type { RotationRecord } from './rotation.js';

/** What disabling the compromised version needs from its incident. */
export interface RevocationFacts {
  order: RevocationOrder;
  destroy: boolean;
  compromisedVersionId: string | null;
  /** While the incident is open its disable step is driven until the store shows it done. */
  incidentOpen: boolean;
}

/**
 * The port between a rotation and the incident it belongs to: what the rotation asks of
 * incidents, and what it tells them. The revocation service implements it; the rotation service
 * is given it once both exist (see runtime.ts), so neither constructs nor imports the other.
 */
export interface IncidentLink {
  /** What an emergency rotation's incident says about the compromised version; null for a rotation of no incident. */
  revocationFacts(rotationId: number): RevocationFacts | null;
  /** The incident open on a secret, or null. */
  openOn(secretName: string): { id: number } | null;
  /**
   * Told of every change inside its transaction, with the rotation as it now is and the change's
   * audit events: an incident follows its emergency rotation, and both commit or neither does.
   */
  onRotationChange(record: RotationRecord, events: readonly AuditEventInput[]): void;
}

/** Where the rotation's parts find the incident link once it is made (see RotationService.linkIncidents). */
export interface IncidentLinkSlot {
  current: IncidentLink | null;
}
