import type { Policy } from '../config/policy.js';
import { RotorError } from '../core/errors.js';
import type { NextStep } from '../core/next-step.js';
import { actorId, type Actor } from './actor.js';
import type { GroupMembers } from './role-members.js';
import { decide, type AccessDecision, type AccessRequest, type HolderGroup } from './permissions.js';
import type { RefusalLog } from './refusal-log.js';

/** A refusal: what was refused and who may do it instead, and the form field it is about when there is one. */
export class AccessDeniedError extends RotorError {
  /** The refusal as said, with its next step (the slash command) when it has one. */
  readonly reason: string;
  readonly whoMay: readonly HolderGroup[];
  readonly where: string | null;

  constructor(reason: string, whoMay: readonly HolderGroup[], where: string | null = null, next?: NextStep) {
    super('forbidden', reason, next ? { next } : undefined);
    this.name = 'AccessDeniedError';
    this.reason = this.message;
    this.whoMay = whoMay;
    this.where = where;
  }
}

/** What a service asks about: the action and the facts the rules look at; the actor is separate. */
export type AccessQuestion = Omit<AccessRequest, 'actor' | 'channelId'>;

/**
 * The services' gate to `decide`. Every service that changes or starts something asks it with
 * the actor that wants it, so no surface (a listener, a button, a DM, the CLI) can forget to.
 * Slack users are judged by the policy table; the CLI and Rotor's own jobs are operators and may
 * do anything but approve, which the two-person rule reserves for people.
 */
export class Authorizer {
  /** `groups`: who is in which Slack user group, so a group named in a role list or an access list counts its members. */
  constructor(
    private readonly policy: Policy,
    private readonly refusals: RefusalLog,
    private readonly groups: Pick<GroupMembers, 'groupsOf'> | null = null,
  ) {}

  decide(actor: Actor, question: AccessQuestion): AccessDecision {
    if (actor.kind !== 'slack') {
      if (question.action === 'approve') {
        return {
          allowed: false,
          reason: 'Approvals come from people in Slack (two-person rule); Rotor and the CLI cannot approve.',
          whoMay: [],
        };
      }
      return { allowed: true, as: 'operator' };
    }
    const actorGroups = question.actorGroups ?? this.groups?.groupsOf(actor.userId) ?? [];
    return decide(this.policy, {
      ...question,
      actor: actor.userId,
      actorGroups,
      ...(actor.channelId ? { channelId: actor.channelId } : {}),
    });
  }

  /**
   * Throws AccessDeniedError after recording the refusal (who tried what on which secret; repeats
   * within a minute are counted, see RefusalLog). Call it before opening a write transaction: a
   * refusal recorded inside one would roll back with it.
   */
  require(actor: Actor, question: AccessQuestion, where: string | null = null): void {
    const decision = this.decide(actor, question);
    if (!decision.allowed) this.refuse(actor, question, decision, where);
  }

  /** `where`: the form field the refused change was typed into (the owner, for a change of owner), so the refusal shows under it. */
  refuse(
    actor: Actor,
    question: AccessQuestion,
    decision: Extract<AccessDecision, { allowed: false }>,
    where: string | null = null,
  ): never {
    const refusal = new AccessDeniedError(decision.reason, decision.whoMay, where, decision.next);
    this.refusals.record({
      actor: actorId(actor),
      attempted: question.action,
      secret: question.secret?.name ?? null,
      reason: refusal.reason,
      ...(actor.kind === 'slack' && actor.channelId ? { channel: actor.channelId } : {}),
    });
    throw refusal;
  }
}
