import type { AuditTrailRepo } from '../audit/audit-trail-repo.js';
import { checkedIncident, checkedSecret, trailSource } from '../audit/chain-checks.js';
import { mergeChecks } from '../audit/chain-difference.js';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import type { PeopleNames } from '../core/person-label.js';
import { NotFoundError } from '../core/errors.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { StoreCatalog } from '../providers/store-kind.js';
import type { RotationRecord } from '../rotation/rotation.js';
import type { RotationHistoryService } from '../rotation/history/rotation-history-service.js';
import type { IncidentRecord } from './incident.js';
import { incidentAuditTrail, type IncidentEvidenceInput } from './incident-evidence.js';
import { parseIncidentId } from './incident-id.js';
import type { IncidentRepo } from './incident-repo.js';
import { summarizeIncident, type IncidentSummary } from './incident-summary.js';

export interface IncidentHistoryDeps {
  repo: IncidentRepo;
  rotations: RotationHistoryService;
  trail: AuditTrailRepo;
  inventory: InventoryRepo;
  stores: StoreCatalog;
  clock: Clock;
  policy: Policy;
  /** The people cache: evidence names people as `Name (U…)` from it. */
  people: { names(): PeopleNames };
}

/**
 * What incidents leave behind, for operators, auditors and the postmortem: the list, one incident
 * with its emergency rotation, and its evidence record with the audit chain positions that prove
 * it. Reads only; every read of several tables runs in one snapshot of the database.
 */
export class IncidentHistoryService {
  constructor(private readonly deps: IncidentHistoryDeps) {}

  /** Incidents newest first, with where their emergency rotation stands. */
  list(filter: { open?: boolean } = {}): IncidentSummary[] {
    return this.deps.trail.snapshot(() =>
      this.deps.repo
        .list({ open: filter.open ?? false })
        .map((incident) => summarizeIncident(incident, this.rotationOf(incident.rotationId))),
    );
  }

  /** One incident by its number (`12` or `#12`), with its emergency rotation if it started. */
  show(idText: string): { record: IncidentRecord; rotation: RotationRecord | null } {
    return this.deps.trail.snapshot(() => {
      const record = this.find(idText);
      return { record, rotation: this.rotationOf(record.incident.rotationId) };
    });
  }

  /**
   * Everything the evidence record of an incident shows, read in one snapshot: the incident and
   * its secret checked against their audit events, with the chain's facts where the tables differ.
   */
  evidence(idText: string): IncidentEvidenceInput {
    return this.deps.trail.snapshot(() => {
      const source = trailSource(this.deps.trail);
      const { record, check } = checkedIncident(this.find(idText), source);
      const { incident } = record;
      // The rotation's evidence walks the chain already; the incident's record shares its head and verdict.
      const rotation = incident.rotationId ? this.deps.rotations.evidence(String(incident.rotationId)) : null;
      const own = this.deps.trail.ofIncident(incident.id, incident.secretName);
      const stored = this.deps.inventory.get(incident.secretName);
      // The rotation's record already checked the secret; checked once, it is named once.
      const secret = rotation ? { secret: rotation.secret, check: null } : stored ? checkedSecret(stored, source) : null;
      return {
        stores: this.deps.stores,
        record,
        secret: secret?.secret ?? null,
        chainCheck: mergeChecks(check, secret?.check),
        rotation,
        trail: incidentAuditTrail(own, rotation?.trail ?? []),
        head: rotation ? rotation.head : this.deps.trail.head(),
        chainBreak: rotation ? rotation.chainBreak : this.deps.trail.verify().firstBreak,
        exportedAt: this.deps.clock.now().toUTC().toISO() as string,
        postmortemHours: this.deps.policy.incident.postmortemHours,
        people: this.deps.people.names(),
      };
    });
  }

  private find(idText: string): IncidentRecord {
    const id = parseIncidentId(idText);
    const record = this.deps.repo.get(id);
    if (!record) throw new NotFoundError(`No incident #${id}. List them with \`rotor incidents list\`.`);
    return record;
  }

  private rotationOf(rotationId: number | null): RotationRecord | null {
    return rotationId === null ? null : this.deps.rotations.find(String(rotationId));
  }
}
