import type { GroupMembers } from '../access/role-members.js';
import { actorId, type Actor } from '../access/actor.js';
import type { Authorizer } from '../access/authorize.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { isoInstant, type Clock } from '../core/clock.js';
import { RotorError, ValidationError } from '../core/errors.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import { refuseUnsafeText } from '../inventory/free-text-guard.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { Secret } from '../inventory/secret.js';
import type { RotationNeed } from './rotation-need.js';
import type { RotationNeedService } from './rotation-need-service.js';
import { audienceKey, securityAudience } from './security-audience.js';

/** The longest reason a use is recorded with: a sentence or two, not a report. */
export const MAX_USE_REASON_LENGTH = 500;

/** The follow-ups a recorded use schedules; the Slack layer sends them. Topic `rotation_need:<id>`. */
export const BREAK_GLASS_FOLLOW_UPS = {
  /** Security told of the use; occurrence: the channel or lead told. */
  securityNotice: 'break_glass.security_notice',
  /** The owner told to rotate it, with Start rotation; occurrence: the owner. */
  ownerNotice: 'break_glass.owner_notice',
} as const;

export function needTopic(needId: number): string {
  return `rotation_need:${needId}`;
}

export function needIdOfTopic(topic: string): number | null {
  const match = /^rotation_need:(\d+)$/.exec(topic);
  return match ? Number(match[1]) : null;
}

export interface BreakGlassUse {
  secret: Secret;
  need: RotationNeed;
}

export interface BreakGlassDeps {
  inventoryService: InventoryService;
  needs: RotationNeedService;
  authorizer: Authorizer;
  audit: AuditLog;
  followUps: { schedule(request: FollowUpRequest): unknown };
  clock: Clock;
  policy: Policy;
  /** Who is in which Slack user group, so a group in a role list reaches its members. */
  groups?: GroupMembers;
  /** Sends the notices now rather than at the next scheduled sweep (the bot). */
  kickFollowUps?: () => void;
}

/**
 * A break-glass credential is reminded like any other, and each use is an event: who used it and
 * why is recorded, its rotation is needed within the policy's `rotation_triggers.break_glass_hours`
 * (a need its reminders cannot snooze), and security and the owner are told.
 */
export class BreakGlassService {
  constructor(private readonly deps: BreakGlassDeps) {}

  /**
   * Records a use of `name` by `actor` (or, from the CLI, by the member `usedBy` names). Refused, with nothing recorded: a secret that is not a
   * break-glass credential, a retired one, someone who may not read or look after it, an empty or
   * overlong reason, and a reason that looks like a credential or hides characters.
   */
  recordUse(name: string, reason: string, actor: Actor, usedBy?: string): BreakGlassUse {
    const secret = this.deps.inventoryService.require(name);
    this.deps.authorizer.require(actor, { action: 'record_use', secret });
    if (!secret.breakGlass) {
      throw new ValidationError(
        `${secret.name} is not a break-glass credential, so no use is recorded and nothing was changed. If it is kept for emergencies, mark it first: tick "Break-glass credential" in \`/secrets edit ${secret.name}\` (or \`rotor edit ${secret.name} --break-glass\`); if it may have leaked, use \`/revoke\` in an incident channel.`,
        [{ where: 'name', message: 'not a break-glass credential' }],
      );
    }
    if (secret.lifecycle === 'retired') {
      throw new RotorError('conflict', `${secret.name} is retired: it should not be usable at all. Nothing was recorded`, {
        next: {
          kind: 'run_command',
          command: 'revoke',
          args: [],
          lead: 'if it still works, revoke it with',
          purpose: 'in an incident channel',
        },
      });
    }
    const said = reason.trim();
    if (said === '')
      throw new ValidationError('Say why it was used: the reason is recorded and shown to security. Nothing was recorded.', [
        { where: 'reason', message: 'give the reason it was used' },
      ]);
    if (said.length > MAX_USE_REASON_LENGTH) {
      throw new ValidationError(`The reason is ${said.length} characters; keep it under ${MAX_USE_REASON_LENGTH}. Nothing was recorded.`, [
        { where: 'reason', message: `at most ${MAX_USE_REASON_LENGTH} characters` },
      ]);
    }
    refuseUnsafeText(said, { where: 'reason', what: 'reason' });

    const now = this.deps.clock.now();
    const usedAt = isoInstant(now);
    const by = actorId(actor);
    const user = usedBy ?? by;
    const dueAt = isoInstant(now.plus({ hours: this.deps.policy.rotationTriggers.breakGlassHours }));
    const need = this.deps.audit.record(() => {
      const [opened] = this.deps.needs.mark(
        [{ secretId: secret.id, reason: 'break_glass_use', dueAt, person: user, detail: said, origin: `break_glass:${usedAt}:${user}` }],
        actor,
      );
      if (!opened)
        throw new RotorError(
          'conflict',
          `A use of ${secret.name} by you was recorded at this very moment already; nothing more was recorded.`,
        );
      for (const audience of securityAudience(this.deps.policy, this.deps.groups ?? null)) {
        this.deps.followUps.schedule({
          kind: BREAK_GLASS_FOLLOW_UPS.securityNotice,
          topic: needTopic(opened.id),
          occurrence: audienceKey(audience),
          dueAt: usedAt,
          payload: { ...audience, need: opened.id },
        });
      }
      if (secret.owner) {
        this.deps.followUps.schedule({
          kind: BREAK_GLASS_FOLLOW_UPS.ownerNotice,
          topic: needTopic(opened.id),
          occurrence: secret.owner,
          dueAt: usedAt,
          payload: { user: secret.owner, need: opened.id },
        });
      }
      const details = { usedBy: user, reason: said, usedAt, dueAt, need: opened.id, owner: secret.owner };
      return { result: opened, events: [{ actor: by, action: 'secret.break_glass_used', secret: secret.name, details }] };
    });
    this.deps.kickFollowUps?.();
    return { secret, need };
  }

  /** Break-glass credentials used and not yet rotated, soonest due first: for the review. */
  usedNotRotated(): RotationNeed[] {
    return this.deps.needs.open('break_glass_use');
  }
}
