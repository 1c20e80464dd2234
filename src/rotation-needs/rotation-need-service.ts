import { actorId, type Actor } from '../access/actor.js';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/audit-log.js';
import { isoInstant, type Clock } from '../core/clock.js';
import type { NeedReason, NeedRequest, RotationNeed } from './rotation-need.js';
import type { RotationNeedRepo } from './rotation-need-repo.js';

/**
 * Rotations needed before a secret's own date, recorded and resolved with their audit events.
 * `mark` is called by the flows that raise needs (a personnel change, a break-glass use, a
 * release check), inside their own audit records; `settle` records the needs rotations have met.
 */
export class RotationNeedService {
  constructor(private readonly deps: { repo: RotationNeedRepo; audit: AuditLog; clock: Clock }) {}

  /** Records each need its cause has not raised before; returns the new ones (audited as `rotation_need.opened`). */
  mark(requests: readonly NeedRequest[], actor: Actor): RotationNeed[] {
    const by = actorId(actor);
    const now = isoInstant(this.deps.clock.now());
    return this.deps.audit.record(() => {
      const added = requests.map((request) => this.deps.repo.add(request, by, now)).filter((need): need is RotationNeed => need !== null);
      const events: AuditEventInput[] = added.map((need) => ({
        actor: by,
        action: 'rotation_need.opened',
        secret: need.secretName,
        details: { need: need.id, reason: need.reason, dueAt: need.dueAt, person: need.person, detail: need.detail, origin: need.origin },
      }));
      return { result: added, events };
    });
  }

  /** Resolves the needs a completed rotation has met since they were raised (audited as `rotation_need.resolved`). */
  settle(): RotationNeed[] {
    return this.deps.audit.record(() => {
      const met = this.deps.repo.settleRotated();
      const events: AuditEventInput[] = met.map((need) => ({
        actor: 'rotor',
        action: 'rotation_need.resolved',
        secret: need.secretName,
        details: { need: need.id, reason: need.reason, dueAt: need.dueAt, rotatedAt: need.resolvedAt },
      }));
      return { result: met, events };
    });
  }

  open(reason?: NeedReason): RotationNeed[] {
    return this.deps.repo.open(reason);
  }

  openFor(secretIds: readonly number[]): Map<number, RotationNeed[]> {
    return this.deps.repo.openFor(secretIds);
  }

  ofOrigin(origin: string): RotationNeed[] {
    return this.deps.repo.ofOrigin(origin);
  }

  get(id: number): RotationNeed | null {
    return this.deps.repo.get(id);
  }
}
