import { actorId, type Actor } from '../access/actor.js';
import { DeliveryError, type MemberStanding } from '../core/delivery.js';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import type { InventoryService } from './inventory-service.js';
import type { ReferenceChangeService } from './reference-change-service.js';
import type { ReferenceMove } from './reference-follow-ups.js';
import type { ReferenceRequest } from './reference-request-repo.js';
import type { LooseRecord } from './secret-fields.js';
import type { SecretRecord } from './secret-merge.js';
import { SLACK_USER_ID, type Secret } from './secret.js';

/** The inventory's port to Slack for ownership: who a member id is, and telling a new owner. */
export interface OwnerDirectory {
  /** Throws a DeliveryError when Slack cannot tell. */
  standingOf(userId: string): Promise<MemberStanding>;
  /** DMs `owner` that `by` made them the owner of the secret; throws a DeliveryError when it cannot. */
  tellNewOwner(owner: string, secretName: string, by: string): Promise<void>;
}

/** Whether a new owner was told: their DM, or why not (the change stands either way). */
export type OwnerTold = { ok: true } | { ok: false; why: string };

export interface FormSave {
  secret: Secret;
  /** The owner the secret had before, when this save handed it to someone else. */
  handedOverFrom: string | null | undefined;
  /** The new provider and reference, asked of security instead of saved (reference_changes: owner_with_security_approval). */
  referenceRequest?: ReferenceRequest;
}

export interface HandOver {
  secret: Secret;
  from: string | null;
  /** False when the person already owned it: nothing changed. */
  changed: boolean;
}

/** The follow-ups ownership schedules; the Slack layer sends them. */
export const OWNERSHIP_FOLLOW_UPS = {
  /** DM to the owner a secret was taken from; topic `secret:<id>`, occurrence `<change time>:<user id>`. */
  formerOwnerNotice: 'secret.former_owner_notice',
} as const;

const ROLE_FIELDS = [
  { field: 'owner', where: 'owner', role: 'own a secret' },
  { field: 'backupOwner', where: 'backup_owner', role: 'be a backup owner' },
] as const;

/** The form without its provider and reference: they are asked for, not saved. */
function withoutReference(input: LooseRecord): LooseRecord {
  const { provider: _provider, providerRef: _providerRef, ...rest } = input;
  return rest;
}

/**
 * Who owns a secret, checked against Slack: a member id Slack does not know, a bot or a
 * deactivated account is refused on its field before anything is saved, and a new owner is
 * told by DM, whatever surface handed the secret over (the add/edit form, a "not mine" answer
 * applied by an admin). Authorization stays with InventoryService; it is asked first, so nobody
 * without the right learns anything from Slack's answers.
 */
export class OwnershipService {
  constructor(
    private readonly deps: {
      inventoryService: InventoryService;
      directory: OwnerDirectory | null;
      references?: ReferenceChangeService;
      followUps?: { schedule(request: FollowUpRequest): boolean };
    },
  ) {}

  /**
   * The add (`name` null) or edit form: authorized and validated by InventoryService, then the
   * people it names checked with Slack, then saved. (Slack is asked only about a form that is
   * otherwise right, and only by someone allowed to make the change.) An edit that moves the
   * secret to another provider or reference goes by the policy (ReferenceChangeService): saved
   * once the store vouches for the new reference, or asked of security while the rest is saved.
   */
  async saveForm(name: string | null, input: LooseRecord, actor: Actor): Promise<FormSave> {
    const { inventoryService, references } = this.deps;
    const existing = name === null ? null : inventoryService.require(name);
    if (existing === null) {
      const planned = inventoryService.checkCreate(input, actor);
      if (references && planned.provider !== 'manual') return this.addBound(planned, input, actor, references);
      await this.refusePeopleProblems(input, existing);
      return { secret: inventoryService.create(input, actor, 'slack'), handedOverFrom: undefined };
    }
    const move = references ? inventoryService.referenceMove(existing.name, input, actor, { emptyClears: true }) : null;
    if (!move || !references) {
      inventoryService.checkUpdate(existing.name, input, actor, { emptyClears: true });
      await this.refusePeopleProblems(input, existing);
      return this.saved(existing, inventoryService.update(existing.name, input, actor, 'slack', { emptyClears: true }));
    }
    const route = references.route(actor, existing);
    // Asked of security: the rest of the form is saved now, the provider and reference stay as they are.
    const saving = route === 'request' ? withoutReference(input) : input;
    inventoryService.checkUpdate(existing.name, saving, actor, { emptyClears: true });
    await this.refusePeopleProblems(saving, existing);
    const checked = await references.check(move);
    if (route === 'request') {
      const secret = inventoryService.update(existing.name, saving, actor, 'slack', { emptyClears: true });
      return { ...this.saved(existing, secret), referenceRequest: references.request(actor, secret, move, checked) };
    }
    const saved = this.saved(
      existing,
      inventoryService.update(existing.name, input, actor, 'slack', { emptyClears: true, checked: [checked] }),
    );
    references.announceSoon();
    return saved;
  }

  /**
   * A new entry bound to a store secret decides which store secret Rotor writes to as much as a
   * move does, so it goes the same way: by the policy's `reference_changes` (an admin binds it, or
   * security approves it while the entry is saved as manual), checked at the store and against
   * `reference_scope`, audited as a reference change, and security told.
   */
  private async addBound(planned: SecretRecord, input: LooseRecord, actor: Actor, references: ReferenceChangeService): Promise<FormSave> {
    const { inventoryService } = this.deps;
    const route = references.route(actor, planned);
    await this.refusePeopleProblems(input, null);
    const move: ReferenceMove = {
      secret: planned.name,
      from: { provider: 'manual', providerRef: null },
      to: { provider: planned.provider, providerRef: planned.providerRef },
    };
    const checked = await references.check(move);
    if (route === 'request') {
      const secret = inventoryService.create({ ...withoutReference(input), provider: 'manual' }, actor, 'slack');
      return { secret, handedOverFrom: undefined, referenceRequest: references.request(actor, secret, move, checked) };
    }
    const secret = inventoryService.create(input, actor, 'slack', { checked: [checked] });
    references.announceSoon();
    return { secret, handedOverFrom: undefined };
  }

  private saved(existing: Secret, secret: Secret): FormSave {
    return { secret, handedOverFrom: secret.owner !== existing.owner ? existing.owner : undefined };
  }

  private async refusePeopleProblems(input: LooseRecord, existing: Secret | null): Promise<void> {
    const issues = await this.peopleProblems(input, existing);
    if (issues.length > 0) throw new ValidationError('The secret has invalid fields.', issues);
  }

  /** Hands a secret to `owner` (the change_owner right, checked by InventoryService), once Slack knows them as a person. */
  async handOver(name: string, owner: string, actor: Actor, source: string): Promise<HandOver> {
    const secret = this.deps.inventoryService.ownerChangeable(actor, name);
    if (secret.owner === owner) return { secret, from: owner, changed: false };
    const [problem] = await this.peopleProblems({ owner }, secret);
    if (problem) throw new ValidationError(problem.message, []);
    // Read again after asking Slack: a second press of the same button got here meanwhile, and
    // only the one that finds the owner unchanged hands the secret over (and tells anyone).
    const current = this.deps.inventoryService.require(name);
    if (current.owner === owner) return { secret: current, from: owner, changed: false };
    return { secret: this.deps.inventoryService.setOwner(name, owner, actor, source), from: current.owner, changed: true };
  }

  /**
   * The owner a secret was taken from is told by DM, unless they handed it over themselves (or
   * nobody owned it): it stops being theirs without their doing. A durable follow-up sends it,
   * once, whatever surface made the change (the form, `/secrets owner`, the not-mine button).
   */
  tellFormerOwner(secret: Secret, former: string | null | undefined, actor: Actor): void {
    if (!former || !secret.owner || former === secret.owner || former === actorId(actor)) return;
    this.deps.followUps?.schedule({
      kind: OWNERSHIP_FOLLOW_UPS.formerOwnerNotice,
      topic: `secret:${secret.id}`,
      occurrence: `${secret.updatedAt}:${former}`,
      dueAt: secret.updatedAt,
      payload: { user: former, owner: secret.owner, by: actorId(actor), secretId: secret.id },
    });
  }

  /** Tells a new owner by DM, as `/secrets owner` does; a failure is reported, not thrown. */
  async tellNewOwner(secret: Secret, actor: Actor): Promise<OwnerTold> {
    if (!secret.owner) return { ok: false, why: 'the secret has no owner' };
    if (!this.deps.directory) return { ok: false, why: 'Rotor is not connected to Slack here' };
    try {
      await this.deps.directory.tellNewOwner(secret.owner, secret.name, actorId(actor));
      return { ok: true };
    } catch (error) {
      if (error instanceof DeliveryError) return { ok: false, why: error.message };
      throw error;
    }
  }

  /**
   * What is wrong, field by field, with an owner or backup owner changed to someone Slack does not
   * know as a person. Values that are not member ids are left to the inventory's validation;
   * unchanged ones are not asked about (a departed owner is `/secrets review`'s business).
   */
  private async peopleProblems(input: LooseRecord, existing: Secret | null): Promise<ValidationIssue[]> {
    const { directory } = this.deps;
    if (!directory) return [];
    const checks = ROLE_FIELDS.flatMap(({ field, where, role }) => {
      const value = input[field];
      if (typeof value !== 'string' || !SLACK_USER_ID.test(value) || value === existing?.[field]) return [];
      return [{ where, role, userId: value }];
    });
    const found = await Promise.all(
      checks.map(async (check) => {
        try {
          return { ...check, standing: await directory.standingOf(check.userId) };
        } catch (error) {
          if (error instanceof DeliveryError) return { ...check, standing: null };
          throw error;
        }
      }),
    );
    return found.flatMap(({ where, role, userId, standing }) => {
      if (standing === 'person') return [];
      const message =
        standing === null
          ? `Slack did not answer when I checked ${userId}; nothing was saved. Try again in a minute.`
          : standing === 'bot'
            ? `A bot cannot ${role}; pick a person.`
            : standing === 'deactivated'
              ? `${userId} is deactivated; pick someone who is still here.`
              : `Slack does not know ${userId}; pick a member of this workspace.`;
      return [{ where, message }];
    });
  }
}
