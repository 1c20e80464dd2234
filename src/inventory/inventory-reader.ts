import { actorId, type Actor } from '../access/actor.js';
import { AccessDeniedError } from '../access/authorize.js';
import type { RefusalLog } from '../access/refusal-log.js';
import type { UserGroupRepo } from '../access/user-group-repo.js';
import { inventoryKeepers, mayRead, readScopeOf, type ReadScope } from '../access/visibility.js';
import type { Policy } from '../config/policy.js';
import { NotFoundError, RotorError } from '../core/errors.js';
import type { InventoryRepo } from './inventory-repo.js';
import type { Secret } from './secret.js';

/** What a member who may see no secret, or not the one they asked for, is told the rule is. */
export const VISIBILITY_RULE =
  'Here a member sees the secrets they own, back up, may read (the secret’s access list) or that belong to their team.';

/**
 * Every read of the inventory a person asks for in Slack goes through here, so each surface
 * (`/secrets`, "Show more", App Home) shows the same secrets: those the policy's `read` rule lets
 * the viewer see (src/access/visibility.ts). A secret they may not see is answered exactly as one
 * that does not exist, and the refusal is audited with the other refusals (RefusalLog).
 */
export class InventoryReader {
  constructor(
    private readonly deps: {
      repo: InventoryRepo;
      policy: Policy;
      refusals: Pick<RefusalLog, 'record'>;
      userGroups: Pick<UserGroupRepo, 'groupsOf'>;
    },
  ) {}

  /** The secrets `viewer` may read, as a filter for the inventory's lists and counts. */
  scopeOf(viewer: Actor): ReadScope {
    return readScopeOf(this.deps.policy, viewer, this.groupsOf(viewer));
  }

  /** Whether `viewer` may read this one secret. */
  mayRead(viewer: Actor, secret: Secret): boolean {
    return mayRead(this.deps.policy, viewer, secret, this.groupsOf(viewer));
  }

  /**
   * The secret named `name`, for a viewer who may read it. Otherwise one refusal, the same whether
   * the secret exists or not (so asking confirms nothing), with the closest names among those they
   * may see; audited, the secret named only when it exists.
   */
  readable(viewer: Actor, name: string): Secret {
    const scope = this.scopeOf(viewer);
    const secret = this.deps.repo.get(name);
    if (scope.kind === 'all') {
      if (!secret) throw new NotFoundError(`No secret named \`${name}\`.`, this.deps.repo.suggestNames(name));
      return secret;
    }
    if (secret && this.mayRead(viewer, secret)) return secret;
    return this.refuse(viewer, secret?.name ?? null, this.unseenText(viewer, name));
  }

  /** What a viewer who may not see `name` is told, whether it exists or not. */
  private unseenText(viewer: Actor, name: string): string {
    const suggestions = this.suggestNames(viewer, name);
    return `There is no secret named \`${name}\` that you may see. ${VISIBILITY_RULE}${suggestions.length > 0 ? ` Did you mean: ${suggestions.join(', ')}?` : ''}`;
  }

  /**
   * Runs `decide`, a permission check on the secret named `name` (may this person rotate it?).
   * When it refuses someone who may not read the secret, they get the read refusal (`There is no
   * secret named … that you may see`) instead of one naming its owner and backup owner, which the
   * visibility rule hides. Someone who may read it gets the permission check's own answer.
   */
  decidedFor<T>(viewer: Actor, name: string, decide: () => T): T {
    try {
      return decide();
    } catch (error) {
      if (error instanceof RotorError && error.code === 'forbidden') this.readable(viewer, name);
      throw error;
    }
  }

  /**
   * For lists: refuses a viewer who may see no live secret at all (saying who can help), so an
   * empty answer never reads as "the inventory is empty"; otherwise returns their scope.
   */
  listScope(viewer: Actor): ReadScope {
    const scope = this.scopeOf(viewer);
    if (scope.kind === 'some' && this.deps.repo.countReadable(scope) === 0) {
      return this.refuse(
        viewer,
        null,
        `You may see no secret in the inventory. ${VISIBILITY_RULE} Ask one of these people to add you to a secret's access list or its team.`,
      );
    }
    return scope;
  }

  /** Names close to `typed` among those `viewer` may see. */
  suggestNames(viewer: Actor, typed: string): string[] {
    const scope = this.scopeOf(viewer);
    if (scope.kind === 'all') return this.deps.repo.suggestNames(typed);
    const names = this.deps.repo.readableNames(scope);
    return names.length > 0 ? this.deps.repo.suggestNames(typed, 3, names) : [];
  }

  private groupsOf(viewer: Actor): string[] {
    return viewer.kind === 'slack' ? this.deps.userGroups.groupsOf(viewer.userId) : [];
  }

  private refuse(viewer: Actor, secret: string | null, reason: string): never {
    this.deps.refusals.record({
      actor: actorId(viewer),
      attempted: 'read',
      secret,
      reason,
      ...(viewer.kind === 'slack' && viewer.channelId ? { channel: viewer.channelId } : {}),
    });
    throw new AccessDeniedError(reason, inventoryKeepers(this.deps.policy));
  }
}
