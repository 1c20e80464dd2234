import type { Hint } from '../core/next-step.js';
import { actorId, type Actor } from '../access/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { isoInstant, type Clock } from '../core/clock.js';
import { NotFoundError, RotorError, ValidationError } from '../core/errors.js';
import type { FollowUpRequest } from '../follow-ups/follow-up.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { Secret } from '../inventory/secret.js';
import type { RotationRecord } from '../rotation/rotation.js';
import type { RotationPlan, RotationPlanRepo } from './plan-repo.js';

/** The plan's thread in the announcement channel: its root, then one reply per step of the plan. */
export const PLAN_FOLLOW_UPS = {
  thread: 'rotation_plan.thread',
  progress: 'rotation_plan.progress',
} as const;

export function planTopic(planId: number): string {
  return `rotation_plan:${planId}`;
}

export function planIdOfTopic(topic: string): number | null {
  const match = /^rotation_plan:(\d+)$/.exec(topic);
  return match ? Number(match[1]) : null;
}

/** A plan's variants, as `/rotate <key>` offers them before it starts. */
export interface PlanOffer {
  key: string;
  variants: Secret[];
  automatic: readonly string[];
}

export interface PlanServiceDeps {
  repo: RotationPlanRepo;
  inventory: Pick<InventoryRepo, 'get'>;
  /** Whether the actor may rotate the secret (throws the refusal). */
  rotatable: (actor: Actor, name: string) => Secret;
  audit: AuditLog;
  followUps: { schedule(request: FollowUpRequest): unknown };
  clock: Clock;
  policy: Policy;
  kickFollowUps?: () => void;
  /** Has Rotor rotate a variant of `plans.automatic` by itself now that its turn came (src/automatic-rotation); inside the caller's transaction. */
  startAutomatic?: (secretId: number, occurrence: string) => void;
}

/**
 * Environments in order (issue 23 item 5): the variants of one registry key (`dev/db/app-primary`,
 * `staging/…`, `prod/…`) rotated as one plan, in the policy's `plans.order`. Each variant is an
 * ordinary rotation with its own checklist and approvals; it may start only once the variant
 * before it is verified. The plan has one thread in the announcement channel. A variant in an
 * environment of `plans.automatic` is rotated without a person: when its turn comes (the plan
 * starts with it, or the variant before it is verified) Rotor opens its rotation itself, which then
 * runs as any automatic rotation (approvals where its environment needs them); a person may still
 * rotate it.
 */
export class PlanService {
  constructor(private readonly deps: PlanServiceDeps) {}

  /** The key's variants in the policy's order; refused: an unknown key, a single variant, variants on different providers. */
  offer(actor: Actor, key: string): PlanOffer {
    const variants = this.deps.policy.plans.order
      .map((environment) => this.deps.inventory.get(`${environment}/${key}`))
      .filter((secret): secret is Secret => secret !== null && secret.lifecycle !== 'retired');
    if (variants.length === 0)
      throw new NotFoundError(
        `No secret named \`${key}\` in any environment (${this.deps.policy.plans.order.map((environment) => `${environment}/${key}`).join(', ')}).`,
        [],
      );
    if (variants.length === 1)
      throw new ValidationError(`Only ${variants[0]?.name} exists:`, [], {
        next: { kind: 'run_command', command: 'rotate', args: [variants[0]?.name ?? key], lead: 'rotate it with' },
      });
    for (const variant of variants) this.deps.rotatable(actor, variant.name);
    const providers = new Set(variants.map((variant) => variant.provider));
    if (providers.size > 1)
      throw new ValidationError(
        `The variants of ${key} are on different providers (${variants.map((variant) => `${variant.name}: ${variant.provider}`).join(', ')}), so they cannot be rotated as one plan; nothing was started.`,
        [{ where: 'key', message: 'variants on different providers' }],
        { next: { kind: 'run_command', command: 'rotate', args: [`<environment>/${key}`], lead: 'rotate each with' } },
      );
    return { key, variants, automatic: this.deps.policy.plans.automatic };
  }

  /** Starts the plan: its variants recorded in order, the thread opened; refused as `offer` is, or when a plan of the key is active. */
  start(actor: Actor, key: string): RotationPlan {
    const offer = this.offer(actor, key);
    const active = this.deps.repo.activeForKey(key);
    if (active)
      throw new RotorError(
        'conflict',
        `A plan for ${key} is already under way (started by <@${active.startedBy}> at ${active.startedAt})`,
        { next: { kind: 'run_command', command: 'rotate', args: [this.nextOf(active)?.secretName ?? key], lead: 'continue it with' } },
      );
    const by = actorId(actor);
    const now = isoInstant(this.deps.clock.now());
    const id = this.deps.audit.record(() => {
      const planId = this.deps.repo.insert(
        key,
        by,
        now,
        offer.variants.map((secret, position) => ({
          position,
          secretId: secret.id,
          environment: secret.environment,
          automatic: offer.automatic.includes(secret.environment),
        })),
      );
      const channel = this.deps.policy.channels.announce;
      if (channel)
        this.deps.followUps.schedule({ kind: PLAN_FOLLOW_UPS.thread, topic: planTopic(planId), dueAt: now, payload: { channel } });
      const first = offer.variants[0];
      if (first && offer.automatic.includes(first.environment)) this.deps.startAutomatic?.(first.id, `plan:${planId}:0`);
      const details = { plan: planId, key, variants: offer.variants.map((secret) => secret.name) };
      return { result: planId, events: [{ actor: by, action: 'rotation_plan.started', details }] };
    });
    this.deps.kickFollowUps?.();
    return this.deps.repo.get(id) as RotationPlan;
  }

  /** Why the secret may not start rotating yet: it is a variant of an active plan whose earlier variant is not verified. */
  startGate(secret: Secret): Hint | null {
    const plan = this.deps.repo.activeFor(secret.id);
    if (!plan) return null;
    const mine = plan.variants.find((variant) => variant.secretId === secret.id);
    const waiting = plan.variants.find((variant) => variant.verifiedAt === null && mine && variant.position < mine.position);
    if (!waiting) return null;
    return {
      brief: `${secret.name} is step ${(mine?.position ?? 0) + 1} of the plan for ${plan.key}: it starts once ${waiting.secretName} is verified.`,
      next: { kind: 'run_command', command: 'rotate', args: [waiting.secretName], lead: `rotate ${waiting.secretName} first`, aside: true },
    };
  }

  /**
   * Told of every rotation change inside its transaction: a variant whose new version is verified
   * (or whose rotation completed) lets the next one start, said in the plan's thread.
   */
  onRotationChange(record: RotationRecord): void {
    const { rotation } = record;
    if (rotation.kind !== 'scheduled' || (rotation.verifiedAt === null && rotation.state !== 'completed')) return;
    const plan = this.deps.repo.activeFor(rotation.secretId);
    const variant = plan?.variants.find((candidate) => candidate.secretId === rotation.secretId);
    if (!plan || !variant || variant.verifiedAt !== null) return;
    const now = isoInstant(this.deps.clock.now());
    this.deps.repo.markVerified(plan.id, variant.position, now, rotation.id);
    const next = plan.variants.find((candidate) => candidate.position > variant.position);
    if (!next) this.deps.repo.finish(plan.id, now);
    if (next?.automatic) this.deps.startAutomatic?.(next.secretId, `plan:${plan.id}:${next.position}`);
    const channel = this.deps.policy.channels.announce;
    if (channel)
      this.deps.followUps.schedule({
        kind: PLAN_FOLLOW_UPS.progress,
        topic: planTopic(plan.id),
        occurrence: `verified:${variant.position}`,
        dueAt: now,
        payload: {
          channel,
          verified: variant.secretName,
          rotation: rotation.id,
          next: next?.secretName ?? null,
          automatic: next?.automatic ?? false,
        },
      });
    this.deps.audit.log({
      actor: 'rotor',
      action: 'rotation_plan.variant_verified',
      secret: variant.secretName,
      details: { plan: plan.id, rotation: rotation.id, next: next?.secretName ?? null, awaitingAutomatic: next?.automatic ?? false },
    });
  }

  get(id: number): RotationPlan | null {
    return this.deps.repo.get(id);
  }

  /** The plan whose variant this rotation verified (its completion is announced in the plan's thread), or null. */
  ofRotation(rotationId: number): RotationPlan | null {
    return this.deps.repo.ofRotation(rotationId);
  }

  private nextOf(plan: RotationPlan) {
    return plan.variants.find((variant) => variant.verifiedAt === null) ?? null;
  }
}
