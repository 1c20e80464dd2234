import { BUILT_IN_ROLE_LISTS, listedInRole, membersOfRole, peopleIn, type GroupMembers } from '../access/role-members.js';
import { SYSTEM_ACTOR } from '../access/actor.js';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { isoInstant, type Clock } from '../core/clock.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import { SLACK_USER_GROUP_ID, type Secret } from '../inventory/secret.js';
import type { RotationRecord } from '../rotation/rotation.js';
import { holdersOfRole, roleLabel } from '../rotation/rotation-rules.js';
import type { RotationNeed } from '../rotation-needs/rotation-need.js';
import type { RotationNeedService } from '../rotation-needs/rotation-need-service.js';
import { audienceKey, securityAudience } from '../rotation-needs/security-audience.js';
import type { Departure, DepartureSource, PersonnelChangeRepo } from './personnel-change-repo.js';

/** What a departure schedules; the Slack layer sends them. Topic `departure:<id>`. */
export const DEPARTURE_FOLLOW_UPS = {
  /** One DM per person asked to act (rotate, take ownership, take over a rotation, approve); occurrence: that person. */
  digest: 'departure.digest',
  /** One summary to security; occurrence: the channel or lead told. */
  securitySummary: 'departure.security_summary',
} as const;

export function departureTopic(id: number): string {
  return `departure:${id}`;
}

export function departureIdOfTopic(topic: string): number | null {
  const match = /^departure:(\d+)$/.exec(topic);
  return match ? Number(match[1]) : null;
}

/** The origin of the rotation needs one departure raises (rotation_needs.origin). */
export function departureOrigin(id: number): string {
  return `departure:${id}`;
}

/** What one person is asked in a departure's digest, by secret name or rotation id. */
export interface DigestAsk {
  /** Secrets they own (or now own) that must be rotated. */
  rotate: string[];
  /** Secrets the leaver owned with no backup owner: offered to them to take over (and rotate). */
  offered: string[];
  /** Open rotations the leaver held, on secrets they now own: to take over. */
  takeOver: { id: number; secret: string }[];
  /** Open rotations that waited on the leaver's approval: asked of them instead. */
  approve: { id: number; secret: string }[];
}

/** A policy role the leaver alone held: approvals in these environments cannot be given until someone is added. */
export interface SoleApprover {
  role: string;
  policyKey: string;
  environments: string[];
}

export type DepartureOutcome =
  | {
      kind: 'recorded';
      departure: Departure;
      needs: RotationNeed[];
      handedOver: { secret: string; to: string }[];
      offered: { secret: string; to: string | null }[];
      asked: Map<string, DigestAsk>;
      soleApprover: SoleApprover[];
    }
  | { kind: 'already_recorded'; departure: Departure; message: string }
  | { kind: 'nothing_to_do'; message: string };

export interface DepartureDeps {
  repo: PersonnelChangeRepo;
  inventoryService: InventoryService;
  needs: RotationNeedService;
  /** The open rotations the leaver held or could approve, and who else may approve them. */
  rotations: {
    forPerson(userId: string): { holding: RotationRecord[]; awaitingMyApproval: RotationRecord[] };
    approversFor(record: RotationRecord): { role: string; people: string[] }[];
  };
  audit: AuditLog;
  followUps: { schedule(request: FollowUpRequest): unknown };
  clock: Clock;
  policy: Policy;
  /** Who is in which Slack user group, so a group in a role list reaches its members. */
  groups: GroupMembers;
  kickFollowUps?: () => void;
}

const POLICY_KEYS: Record<string, string> = { security_lead: 'roles.security_leads', devops_lead: 'roles.devops_leads' };

/**
 * A person who left (Slack deactivated them): every live secret they owned, backed up or could
 * read needs rotating (reason `personnel_change`, due in the policy's
 * `rotation_triggers.personnel_change_days`); ownership goes to the backup owner, or is offered to
 * the team lead (else the security leads, else the admins); their open rotations are handed to
 * the secrets' owners and the approvals they owed re-asked of the others who may give them. Each
 * person asked gets one digest DM, security one summary; all in one audit record. The same
 * departure reported again (event and sweep, or a retried event) changes nothing.
 */
export class DepartureService {
  constructor(private readonly deps: DepartureDeps) {}

  departed(userId: string, source: DepartureSource): DepartureOutcome {
    const known = this.deps.repo.openDeparture(userId);
    if (known)
      return {
        kind: 'already_recorded',
        departure: known,
        message: `${userId}'s departure was recorded already (${known.observedAt}); nothing changed.`,
      };
    const secrets = this.deps.repo.secretsReachableBy(userId);
    const { holding, awaitingMyApproval } = this.deps.rotations.forPerson(userId);
    if (secrets.length === 0 && holding.length === 0 && awaitingMyApproval.length === 0) {
      return {
        kind: 'nothing_to_do',
        message: `${userId} left, but owned, backed up and could read no secret and held no rotation: nothing to rotate, nothing changed.`,
      };
    }
    const now = this.deps.clock.now();
    const nowIso = isoInstant(now);
    const dueAt = isoInstant(now.plus({ days: this.deps.policy.rotationTriggers.personnelChangeDays }));
    const soleApprover = this.soleApproverRoles(userId);

    const outcome = this.deps.audit.record(() => {
      const departure = this.deps.repo.addDeparture(userId, source, nowIso);
      const needs = this.deps.needs.mark(
        secrets.map((secret) => ({
          secretId: secret.id,
          reason: 'personnel_change' as const,
          dueAt,
          person: userId,
          detail: `left (deactivated in Slack; ${rolesOf(secret, userId)})`,
          origin: departureOrigin(departure.id),
        })),
        SYSTEM_ACTOR,
      );
      const asked = new Map<string, DigestAsk>();
      const ask = (person: string) => {
        const entry = asked.get(person) ?? { rotate: [], offered: [], takeOver: [], approve: [] };
        asked.set(person, entry);
        return entry;
      };
      const handedOver: { secret: string; to: string }[] = [];
      const offered: { secret: string; to: string | null }[] = [];
      const ownerNow = new Map<string, string | null>();
      for (const secret of secrets) {
        let owner = secret.owner;
        if (secret.owner === userId) {
          if (secret.backupOwner && secret.backupOwner !== userId) {
            this.deps.inventoryService.update(
              secret.name,
              { owner: secret.backupOwner, backupOwner: null },
              SYSTEM_ACTOR,
              'personnel_change',
              { emptyClears: true },
            );
            handedOver.push({ secret: secret.name, to: secret.backupOwner });
            owner = secret.backupOwner;
          } else {
            if (secret.backupOwner === userId)
              this.deps.inventoryService.update(secret.name, { backupOwner: null }, SYSTEM_ACTOR, 'personnel_change', {
                emptyClears: true,
              });
            const next = this.nextOnPath(secret, userId);
            offered.push({ secret: secret.name, to: next });
            if (next) ask(next).offered.push(secret.name);
            owner = null;
          }
        } else if (secret.backupOwner === userId) {
          this.deps.inventoryService.update(secret.name, { backupOwner: null }, SYSTEM_ACTOR, 'personnel_change', { emptyClears: true });
        }
        ownerNow.set(secret.name, owner);
        if (owner) ask(owner).rotate.push(secret.name);
      }
      for (const record of holding) {
        const secret = record.rotation.secretName;
        // The secret's owner now (after the hand-over), else whom it was offered to, else its owner in the inventory.
        const recorded = this.deps.inventoryService.require(secret).owner;
        const target =
          ownerNow.get(secret) ?? offered.find((entry) => entry.secret === secret)?.to ?? (recorded !== userId ? recorded : null);
        if (target) ask(target).takeOver.push({ id: record.rotation.id, secret });
      }
      const reasked: { rotation: number; secret: string; people: string[] }[] = [];
      for (const record of awaitingMyApproval) {
        const people = [...new Set(this.deps.rotations.approversFor(record).flatMap((entry) => entry.people))].filter(
          (person) => person !== userId,
        );
        for (const person of people) ask(person).approve.push({ id: record.rotation.id, secret: record.rotation.secretName });
        reasked.push({ rotation: record.rotation.id, secret: record.rotation.secretName, people });
      }
      asked.delete(userId);
      for (const [person, entry] of asked) {
        this.deps.followUps.schedule({
          kind: DEPARTURE_FOLLOW_UPS.digest,
          topic: departureTopic(departure.id),
          occurrence: person,
          dueAt: nowIso,
          payload: { user: person, leaver: userId, ...entry },
        });
      }
      for (const audience of securityAudience(this.deps.policy, this.deps.groups)) {
        this.deps.followUps.schedule({
          kind: DEPARTURE_FOLLOW_UPS.securitySummary,
          topic: departureTopic(departure.id),
          occurrence: audienceKey(audience),
          dueAt: nowIso,
          payload: {
            ...audience,
            leaver: userId,
            handedOver,
            offered,
            soleApprover: soleApprover.map((entry) => ({ ...entry })),
            rotationsHandedOver: holding.map((record) => record.rotation.id),
            approvalsReasked: reasked.map((entry) => entry.rotation),
          },
        });
      }
      const details = {
        user: userId,
        source,
        dueAt,
        secrets: secrets.map((secret) => secret.name),
        handedOver,
        offered,
        told: [...asked.keys()],
        rotationsHandedOver: holding.map((record) => ({ rotation: record.rotation.id, secret: record.rotation.secretName })),
        approvalsReasked: reasked,
        soleApprover,
      };
      return {
        result: { kind: 'recorded' as const, departure, needs, handedOver, offered, asked, soleApprover },
        events: [{ actor: 'rotor', action: 'personnel.departed', details }],
      };
    });
    this.deps.kickFollowUps?.();
    return outcome;
  }

  /**
   * Compares the policy's roles with those the bot read last time (at its previous start): each
   * person removed from one or more roles is a personnel change. What they owned, backed up or
   * could read is marked rotation needed (`personnel_change`, "removed from roles.… in the
   * policy"), the owners told in one digest each and security in one summary; ownership stays
   * (the person is still here). The first start only remembers the roles. Someone whose
   * departure is already recorded is not marked twice. Roles are compared by the people in them,
   * user groups resolved: a group id is never a person. `groupsKnown` false (Slack did not say at
   * start-up who is in the groups): a role naming a group keeps the people it held, so nobody
   * counts as removed from it on a guess. Returns the people changed.
   */
  reconcileRoles(groupsKnown = true): { userId: string; roles: string[]; needs: RotationNeed[] }[] {
    const now = this.deps.clock.now();
    const nowIso = isoInstant(now);
    const dueAt = isoInstant(now.plus({ days: this.deps.policy.rotationTriggers.personnelChangeDays }));
    const groups = groupsKnown ? this.deps.groups : null;
    const changed = this.deps.audit.record(() => {
      const previous = this.deps.repo.roleMembers();
      const current = roleMembersOf(this.deps.policy, groups, previous);
      this.deps.repo.rememberRoles(current, nowIso);
      if (previous.length === 0) return { result: [], events: [] };
      const held = new Set(current.map((member) => `${member.role}\u0000${member.userId}`));
      const lost = new Map<string, string[]>();
      for (const member of previous) {
        // A group id remembered before roles were compared by people is no one who left a role.
        if (SLACK_USER_GROUP_ID.test(member.userId)) continue;
        if (held.has(`${member.role}\u0000${member.userId}`)) continue;
        lost.set(member.userId, [...(lost.get(member.userId) ?? []), member.role]);
      }
      const results: { userId: string; roles: string[]; needs: RotationNeed[] }[] = [];
      const events: AuditEventInput[] = [];
      for (const [userId, roles] of lost) {
        if (this.deps.repo.openDeparture(userId)) continue;
        const secrets = this.deps.repo.secretsReachableBy(userId);
        const id = this.deps.repo.addRoleRemoval(userId, roles, nowIso);
        const cause = `removed from ${roles.map((role) => `roles.${role}`).join(', ')} in the policy`;
        const needs = this.deps.needs.mark(
          secrets.map((secret) => ({
            secretId: secret.id,
            reason: 'personnel_change' as const,
            dueAt,
            person: userId,
            detail: `${cause} (${rolesOf(secret, userId)})`,
            origin: departureOrigin(id),
          })),
          SYSTEM_ACTOR,
        );
        const byOwner = new Map<string, string[]>();
        for (const secret of secrets) if (secret.owner) byOwner.set(secret.owner, [...(byOwner.get(secret.owner) ?? []), secret.name]);
        for (const [owner, names] of byOwner) {
          this.deps.followUps.schedule({
            kind: DEPARTURE_FOLLOW_UPS.digest,
            topic: departureTopic(id),
            occurrence: owner,
            dueAt: nowIso,
            payload: { user: owner, leaver: userId, cause, rotate: names, offered: [], takeOver: [], approve: [] },
          });
        }
        if (secrets.length > 0) {
          for (const audience of securityAudience(this.deps.policy, this.deps.groups)) {
            this.deps.followUps.schedule({
              kind: DEPARTURE_FOLLOW_UPS.securitySummary,
              topic: departureTopic(id),
              occurrence: audienceKey(audience),
              dueAt: nowIso,
              payload: {
                ...audience,
                leaver: userId,
                cause,
                handedOver: [],
                offered: [],
                soleApprover: [],
                rotationsHandedOver: [],
                approvalsReasked: [],
              },
            });
          }
        }
        events.push({
          actor: 'rotor',
          action: 'personnel.removed_from_roles',
          details: { user: userId, roles, dueAt, secrets: secrets.map((secret) => secret.name), told: [...byOwner.keys()] },
        });
        results.push({ userId, roles, needs });
      }
      return { result: results, events };
    });
    if (changed.length > 0) this.deps.kickFollowUps?.();
    return changed;
  }

  /** A deactivated member came back: their departure is closed (audited), so leaving again is a new one. */
  returned(userId: string): boolean {
    return this.deps.audit.record(() => {
      const closed = this.deps.repo.markReturned(userId, isoInstant(this.deps.clock.now()));
      return { result: closed, events: closed ? [{ actor: 'rotor', action: 'personnel.returned', details: { user: userId } }] : [] };
    });
  }

  /** Who a secret the leaver owned, with no backup owner, is offered to: its team lead, else a security lead, else an admin. */
  private nextOnPath(secret: Secret, leaver: string): string | null {
    const lead = secret.team ? this.deps.policy.roles.teamLeads[secret.team] : undefined;
    const groups = this.deps.groups;
    const candidates = [
      lead,
      ...membersOfRole(this.deps.policy, 'security_leads', groups),
      ...membersOfRole(this.deps.policy, 'admins', groups),
    ];
    return candidates.find((person): person is string => typeof person === 'string' && person !== leaver) ?? null;
  }

  /** Approver roles only the leaver held, with the environments whose rotations need them. */
  private soleApproverRoles(userId: string): SoleApprover[] {
    return (['security_lead', 'devops_lead'] as const).flatMap((role) => {
      const holders = holdersOfRole(this.deps.policy, role, this.deps.groups);
      if (holders.length !== 1 || holders[0] !== userId) return [];
      const environments = Object.entries(this.deps.policy.approvals)
        .filter(([, roles]) => roles.includes(role))
        .map(([environment]) => environment);
      return environments.length > 0 ? [{ role: roleLabel(role), policyKey: POLICY_KEYS[role] as string, environments }] : [];
    });
  }
}

/**
 * Every (role, person) pair of the policy's roles, named as its keys are (`admins`,
 * `team_leads.payments`, `cto`), user groups resolved to their members. Without `groups` (who is
 * in them unknown), a role naming a group keeps the people `previous` says it held.
 */
function roleMembersOf(
  policy: Policy,
  groups: Pick<GroupMembers, 'membersOf'> | null,
  previous: readonly { role: string; userId: string }[],
): { role: string; userId: string }[] {
  const { roles } = policy;
  const lists: [string, readonly string[]][] = [
    ...BUILT_IN_ROLE_LISTS.map((role): [string, readonly string[]] => [role, listedInRole(policy, role)]),
    ...Object.entries(roles.teamLeads).map(([team, userId]): [string, readonly string[]] => [`team_leads.${team}`, [userId]]),
    ...(roles.cto ? [['cto', [roles.cto]] as [string, readonly string[]]] : []),
  ];
  return lists.flatMap(([role, ids]) => {
    const unknownGroups = groups === null && ids.some((id) => SLACK_USER_GROUP_ID.test(id));
    const kept = unknownGroups
      ? previous.filter((member) => member.role === role && !SLACK_USER_GROUP_ID.test(member.userId)).map((member) => member.userId)
      : [];
    return peopleIn([...ids, ...kept], groups).map((userId) => ({ role, userId }));
  });
}

/** The leaver's relation to the secret, in words. */
function rolesOf(secret: Secret, userId: string): string {
  const roles = [
    secret.owner === userId ? 'owner' : null,
    secret.backupOwner === userId ? 'backup owner' : null,
    secret.access.includes(userId) ? 'could read it' : null,
  ].filter(Boolean);
  return roles.join(', ');
}
