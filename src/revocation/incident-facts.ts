import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { IncidentLink, RevocationFacts } from '../rotation/incident-link.js';
import type { IncidentRepo } from './incident-repo.js';

/**
 * What a rotation asks of incidents, read from their table alone: built before the rotation
 * service (the revocation service, which starts emergency rotations, is built after it).
 */
export class IncidentFacts implements IncidentLink {
  constructor(
    private readonly repo: IncidentRepo,
    private readonly inventory: InventoryRepo,
  ) {}

  /** The incident open on a secret (a rollback waits for it). */
  openOn(secretName: string): { id: number } | null {
    const secret = this.inventory.get(secretName);
    return secret ? (this.repo.openFor(secret.id)?.incident ?? null) : null;
  }

  /** What disabling the compromised version needs: for the rotation's disable step. */
  revocationFacts(rotationId: number): RevocationFacts | null {
    const incident = this.repo.ofRotation(rotationId);
    return incident
      ? {
          order: incident.revocationOrder,
          destroy: incident.destroy,
          compromisedVersionId: incident.compromisedVersionId,
          incidentOpen: incident.state === 'open',
        }
      : null;
  }
}
