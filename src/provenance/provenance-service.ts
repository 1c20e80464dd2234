import { DateTime } from 'luxon';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { isoInstant, type Clock } from '../core/clock.js';
import type { PeopleNames } from '../core/person-label.js';
import { provenanceTags } from '../providers/provenance-tags.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import type { RotationHistoryService } from '../rotation/history/rotation-history-service.js';
import { storeBindingOf } from '../rotation/rotation.js';
import type { ProvenanceEntry, ProvenanceLedgerRepo, ProvenanceOutcome } from './provenance-ledger-repo.js';

export interface ProvenanceDeps {
  ledger: ProvenanceLedgerRepo;
  rotations: RotationHistoryService;
  registry: ProviderRegistry;
  audit: AuditLog;
  clock: Clock;
  policy: Policy;
  /** The people cache: `rotated_by` is the Slack name when Slack gave one, else the member id. */
  people: { names(): PeopleNames };
}

export type ProvenanceResult = { status: 'recorded' | 'already'; entry: ProvenanceEntry } | { status: 'not_completed' };

/**
 * Provenance at the store: once a rotation has completed, its store secret is tagged
 * `version=<YYYYMMDD>` and `rotated_by=<name or id>` (the policy's keys), through the store the
 * rotation was bound to when it started. Runs after the completion, never inside it: a tag that
 * cannot be written is retried by its follow-up and never holds the rotation up.
 */
export class ProvenanceService {
  constructor(private readonly deps: ProvenanceDeps) {}

  /** Completed rotations whose tags are due (the newest of each secret in a store). */
  due(limit = 500): number[] {
    return this.deps.ledger.due(limit);
  }

  /** Tags the store secret of a completed rotation, once; throws when the store refuses (the follow-up retries). */
  async tag(rotationId: number): Promise<ProvenanceResult> {
    const known = this.deps.ledger.find(rotationId);
    if (known) return { status: 'already', entry: known };
    const { rotation } = this.deps.rotations.find(String(rotationId));
    if (rotation.state !== 'completed' || !rotation.completedAt) return { status: 'not_completed' };
    const names = this.deps.people.names();
    const tags = provenanceTags({
      completedAt: DateTime.fromISO(rotation.completedAt, { zone: 'utc' }),
      rotatedBy: names[rotation.heldBy] ?? rotation.heldBy,
      keys: { version: this.deps.policy.provenance.versionTag, rotatedBy: this.deps.policy.provenance.rotatedByTag },
    });
    const entry = (outcome: ProvenanceOutcome): ProvenanceEntry => ({
      rotationId,
      secretName: rotation.secretName,
      provider: rotation.provider,
      providerRef: rotation.providerRef,
      tags: outcome === 'tagged' ? tags : {},
      outcome,
      taggedAt: isoInstant(this.deps.clock.now()),
    });
    if (this.deps.ledger.supersededBy(rotationId) !== null) return this.record(entry('superseded'));
    // The store and reference captured when the rotation started, whatever the inventory says now.
    const { provider, target } = this.deps.registry.resolve(storeBindingOf(rotation));
    if (!provider.writeProvenance) return this.record(entry('unsupported'));
    await provider.writeProvenance(target, tags);
    return this.record(entry('tagged'));
  }

  private record(entry: ProvenanceEntry): ProvenanceResult {
    const inserted = this.deps.audit.record(() => {
      const added = this.deps.ledger.insert(entry);
      return {
        result: added,
        events: added
          ? [
              {
                actor: 'rotor',
                action: entry.outcome === 'tagged' ? 'provenance.tagged' : 'provenance.skipped',
                secret: entry.secretName,
                // Not `rotation`: that would make this event part of the rotation's own record.
                details: {
                  taggedRotation: entry.rotationId,
                  provider: entry.provider,
                  providerRef: entry.providerRef,
                  outcome: entry.outcome,
                  tags: entry.tags,
                },
              },
            ]
          : [],
      };
    });
    return { status: inserted ? 'recorded' : 'already', entry: this.deps.ledger.find(entry.rotationId) as ProvenanceEntry };
  }
}
