import { PLAN_FOLLOW_UPS, planIdOfTopic, planTopic } from '../../rotation-plans/plan-service.js';
import { planProgressReply, planThreadRoot } from '../views/plan-messages.js';
import { messageFollowUp } from './message-follow-up.js';
import type { SlackFollowUpDeps } from './slack-follow-up-deps.js';
import type { SlackPoster } from './slack-poster.js';

/**
 * A plan's one thread in the announcement channel: the root when it starts, then a reply each time
 * a variant is verified. A reply waits (is retried) until the root is posted.
 */
export function registerPlanSlackFollowUps(deps: Pick<SlackFollowUpDeps, 'followUps' | 'plans'>, poster: SlackPoster): void {
  const { followUps, plans } = deps;
  followUps.service.register(
    messageFollowUp(PLAN_FOLLOW_UPS.thread, poster, (followUp) => {
      const id = planIdOfTopic(followUp.topic);
      const plan = id === null ? null : plans.get(id);
      const channel = followUp.payload.channel;
      return plan && typeof channel === 'string' ? { to: { channel }, message: planThreadRoot(plan) } : null;
    }),
  );
  followUps.service.register(
    messageFollowUp(PLAN_FOLLOW_UPS.progress, poster, (followUp) => {
      const root = followUps.repo.find(PLAN_FOLLOW_UPS.thread, followUp.topic);
      const ts = root?.state === 'done' ? root.outcome?.ts : undefined;
      if (typeof ts !== 'string') throw new Error(`The thread of ${followUp.topic} is not posted yet.`);
      const { payload } = followUp;
      return {
        to: { channel: String(payload.channel) },
        threadTs: ts,
        message: planProgressReply({
          verified: String(payload.verified),
          next: typeof payload.next === 'string' ? payload.next : null,
          automatic: payload.automatic === true,
        }),
      };
    }),
  );
}

/**
 * Where a rotation's announcement to the announcement channel goes: the thread of the plan whose
 * variant it rotated (its root's ts), or undefined when it is no plan's (or the root was never
 * posted: no announcement channel then, or it gave up). Throws while the root is still to be posted,
 * so the announcement is retried after it rather than posted beside it.
 */
export function planThreadOf(deps: Pick<SlackFollowUpDeps, 'followUps' | 'plans'>, rotationId: number): string | undefined {
  const plan = deps.plans.ofRotation(rotationId);
  if (!plan) return undefined;
  const root = deps.followUps.repo.find(PLAN_FOLLOW_UPS.thread, planTopic(plan.id));
  if (!root || root.state === 'failed') return undefined;
  const ts = root.state === 'done' ? root.outcome?.ts : undefined;
  if (root.state !== 'done') throw new Error(`The thread of the plan for ${plan.key} is not posted yet.`);
  return typeof ts === 'string' ? ts : undefined;
}
