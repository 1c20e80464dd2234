import { membersOfRole, type GroupMembers } from '../access/role-members.js';
import { actorId, type Actor } from '../access/actor.js';
import { AccessDeniedError, type Authorizer } from '../access/authorize.js';
import { describeWhoMay, type SecretAccessFacts } from '../access/permissions.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { isoInstant, type Clock } from '../core/clock.js';
import { NotFoundError, RotorError, ValidationError } from '../core/errors.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import type { InventoryService } from './inventory-service.js';
import type { CheckedReference, ReferenceChecker } from './reference-check.js';
import { REFERENCE_FOLLOW_UPS, referenceRequestTopic, type ReferenceMove } from './reference-follow-ups.js';
import type { ReferenceRequest, ReferenceRequestRepo } from './reference-request-repo.js';
import type { Secret } from './secret.js';

export interface ReferenceChangeDeps {
  inventoryService: InventoryService;
  checker: ReferenceChecker;
  requests: ReferenceRequestRepo;
  authorizer: Authorizer;
  audit: AuditLog;
  followUps: { schedule(request: FollowUpRequest): unknown; cancel(topic: string, kind?: string): unknown };
  policy: Policy;
  clock: Clock;
  /** Who is in which Slack user group, so a group in a role list reaches its members. */
  groups?: GroupMembers;
  /** Sends due follow-ups soon: the request DMs and the answers go out now, not at the next sweep. */
  kickFollowUps?: () => void;
}

/** How a move of a secret's reference goes ahead for this person: at once, or as a request to security. */
export type ReferenceChangeRoute = 'direct' | 'request';

/**
 * Where a secret is stored decides which store secret Rotor writes to, so moving it is a
 * privileged change: admins (and the CLI's operators) make it directly; under the policy's
 * `reference_changes: owner_with_security_approval` those who may edit the secret ask, and a
 * security lead other than the asker approves; anyone else is refused. Every new reference is
 * checked at the store first (and again on approval), every move is audited with old and new,
 * and security is told (InventoryService schedules that with the change).
 */
export class ReferenceChangeService {
  constructor(private readonly deps: ReferenceChangeDeps) {}

  /** How `actor` may move `secret`'s reference (or bind a new entry to one); a refusal (recorded) names the field and who may. */
  route(actor: Actor, secret: SecretAccessFacts): ReferenceChangeRoute {
    const { authorizer, policy } = this.deps;
    const direct = authorizer.decide(actor, { action: 'change_reference', secret });
    if (direct.allowed) return 'direct';
    if (policy.referenceChanges === 'owner_with_security_approval' && authorizer.decide(actor, { action: 'edit', secret }).allowed)
      return 'request';
    try {
      return authorizer.refuse(actor, { action: 'change_reference', secret }, direct);
    } catch (error) {
      if (!(error instanceof AccessDeniedError)) throw error;
      const rule =
        policy.referenceChanges === 'admins'
          ? 'Where a secret is stored decides which store secret Rotor writes to, so only admins change it (policy reference_changes: admins).'
          : 'Where a secret is stored decides which store secret Rotor writes to: admins change it, and those who look after the secret ask a security lead to approve it.';
      const message = `${error.reason} ${rule} ${describeWhoMay(error.whoMay).replace(/<@([A-Z0-9]+)>/g, '$1')} Nothing was saved.`;
      throw new ValidationError(message, [{ where: 'provider_ref', message }], { cause: error });
    }
  }

  /** Security hears of a move just made now, not at the next sweep. */
  announceSoon(): void {
    this.deps.kickFollowUps?.();
  }

  /** What the store's port says about the new reference (refused with the store's own answer). */
  check(move: ReferenceMove): Promise<CheckedReference> {
    return this.deps.checker.check({ name: move.secret, ...move.to });
  }

  /**
   * Files a request for the move (a newer one withdraws an older one for the same secret) and
   * asks every security lead but the asker, by DM with Approve / Reject.
   */
  request(actor: Actor, secret: Secret, move: ReferenceMove, checked: CheckedReference): ReferenceRequest {
    const by = actorId(actor);
    const now = isoInstant(this.deps.clock.now());
    const id = this.deps.audit.record(() => {
      const older = this.deps.requests.pendingFor(secret.id);
      if (older) {
        this.deps.requests.end(older.id, 'withdrawn', by, now, 'a newer request replaced it');
        this.deps.followUps.cancel(referenceRequestTopic(older.id));
      }
      const requestId = this.deps.requests.insert(secret.id, move, by, now);
      const leads = membersOfRole(this.deps.policy, 'security_leads', this.deps.groups ?? null);
      for (const lead of leads.filter((person) => person !== by)) {
        this.deps.followUps.schedule({
          kind: REFERENCE_FOLLOW_UPS.request,
          topic: referenceRequestTopic(requestId),
          occurrence: lead,
          dueAt: now,
          payload: { user: lead },
        });
      }
      return {
        result: requestId,
        events: [
          {
            actor: by,
            action: 'secret.reference_change_requested',
            secret: secret.name,
            details: {
              request: requestId,
              from: move.from,
              to: move.to,
              storeCheck: { versionId: checked.versionId, location: checked.location },
              ...(older ? { withdrew: older.id } : {}),
            },
          },
        ],
      };
    });
    this.deps.kickFollowUps?.();
    return this.get(id);
  }

  get(id: number): ReferenceRequest {
    const request = this.deps.requests.get(id);
    if (!request) throw new NotFoundError(`No reference change request #${id}.`);
    return request;
  }

  /** The request, or null when there is none with that id. */
  find(id: number): ReferenceRequest | null {
    return this.deps.requests.get(id);
  }

  /**
   * A security lead (not the asker) approves: the store is asked again about the new reference,
   * and the move is applied in one transaction with the request's decision.
   */
  async approve(actor: Actor, id: number): Promise<ReferenceRequest> {
    const request = this.decidable(actor, id);
    const checked = await this.check(request);
    const by = actorId(actor);
    const now = isoInstant(this.deps.clock.now());
    this.deps.audit.record(() => {
      if (!this.deps.requests.end(id, 'approved', by, now, null)) throw this.alreadyDecided(id);
      this.deps.inventoryService.applyApprovedReference(request, actor, { requestId: id, requestedBy: request.requestedBy }, checked);
      this.told(request, 'approved');
      return {
        result: undefined,
        events: [
          {
            actor: by,
            action: 'secret.reference_change_approved',
            secret: request.secret,
            details: { request: id, from: request.from, to: request.to, requestedBy: request.requestedBy },
          },
        ],
      };
    });
    this.deps.kickFollowUps?.();
    return this.get(id);
  }

  /** A security lead (not the asker) rejects: nothing moves, and the asker is told. */
  reject(actor: Actor, id: number): ReferenceRequest {
    const request = this.decidable(actor, id);
    const by = actorId(actor);
    const now = isoInstant(this.deps.clock.now());
    this.deps.audit.record(() => {
      if (!this.deps.requests.end(id, 'rejected', by, now, null)) throw this.alreadyDecided(id);
      this.told(request, 'rejected');
      return {
        result: undefined,
        events: [
          {
            actor: by,
            action: 'secret.reference_change_rejected',
            secret: request.secret,
            details: { request: id, from: request.from, to: request.to, requestedBy: request.requestedBy },
          },
        ],
      };
    });
    this.deps.kickFollowUps?.();
    return this.get(id);
  }

  /** The waiting request, once `actor` is known to be a security lead who did not ask for it. */
  private decidable(actor: Actor, id: number): ReferenceRequest {
    const request = this.get(id);
    const secret = this.deps.inventoryService.require(request.secret);
    this.deps.authorizer.require(actor, { action: 'approve_reference_change', secret });
    if (actorId(actor) === request.requestedBy) {
      throw new RotorError(
        'forbidden',
        `You asked for this change of ${request.secret}, so another security lead decides it (two-person rule).`,
      );
    }
    if (request.state !== 'pending') throw this.alreadyDecided(id);
    return request;
  }

  private alreadyDecided(id: number): RotorError {
    const request = this.get(id);
    const how =
      request.state === 'withdrawn'
        ? `was withdrawn (${request.endNote ?? 'replaced'})`
        : `was already ${request.state} by ${request.decidedBy ?? 'someone'} at ${request.decidedAt ?? 'an earlier time'}`;
    return new RotorError(
      'conflict',
      `The request to move ${request.secret} to \`${request.to.providerRef ?? request.to.provider}\` ${how}; nothing more to do.`,
    );
  }

  /** The asker is told of the decision, and the other security leads' requests are moot. */
  private told(request: ReferenceRequest, decision: 'approved' | 'rejected'): void {
    const topic = referenceRequestTopic(request.id);
    this.deps.followUps.cancel(topic, REFERENCE_FOLLOW_UPS.request);
    this.deps.followUps.schedule({
      kind: REFERENCE_FOLLOW_UPS.decided,
      topic,
      occurrence: decision,
      dueAt: isoInstant(this.deps.clock.now()),
      payload: { user: request.requestedBy },
    });
  }
}
