import type { Clock } from '../../core/clock.js';
import type { Policy } from '../../config/policy.js';
import { RotorError } from '../../core/errors.js';
import type { FollowUp, FollowUpHandler } from '../../follow-ups/follow-up.js';
import type { FollowUpService } from '../../follow-ups/follow-up-service.js';
import type { GroupMembers } from '../../access/role-members.js';
import { securityAudience } from '../../rotation-needs/security-audience.js';
import { ACCESS_REVIEW_PAGE_SIZE, parseReviewTopic, REVIEW_FOLLOW_UPS, type ReviewService } from '../../reviews/review-service.js';
import type { Review } from '../../reviews/review-repo.js';
import {
  accessReviewAskMessage,
  accessReviewEscalationMessage,
  annualReviewMessage,
  scheduledReviewMessage,
} from '../views/scheduled-review-messages.js';
import { type FollowUpPost, messageFollowUp } from './message-follow-up.js';
import type { SlackPoster } from './slack-poster.js';

/**
 * What the reviews post, each exactly once (messageFollowUp): the monthly, quarterly and annual
 * reviews to the announcement channel, each owner's access-review questions by DM, and an
 * owner's unanswered questions to security when the policy's days are over.
 */
export function registerReviewSlackFollowUps(
  deps: { reviews: ReviewService; followUps: FollowUpService; policy: Policy; clock: Clock; groups?: GroupMembers },
  poster: SlackPoster,
): void {
  const { reviews, policy } = deps;
  const reviewOf = (followUp: FollowUp): { review: Review; owner: string | null } => {
    const parsed = parseReviewTopic(followUp.topic);
    const review = parsed ? reviews.get(parsed.reviewId) : null;
    if (!parsed || !review)
      throw new RotorError('internal', `Follow-up ${followUp.id} (${followUp.kind}) names no review: ${followUp.topic}.`);
    return { review, owner: parsed.owner };
  };

  deps.followUps.register(
    messageFollowUp(REVIEW_FOLLOW_UPS.post, poster, (followUp): FollowUpPost | null => {
      const { review } = reviewOf(followUp);
      const channel = policy.channels.announce;
      if (!channel) return null;
      const message =
        review.kind === 'annual'
          ? annualReviewMessage(review, reviews.yearReport(review.period))
          : scheduledReviewMessage(
              review,
              reviews.monthlyChecks(),
              review.kind === 'quarterly' ? reviews.inventoryAudit() : null,
              deps.clock.now(),
            );
      return { to: { channel }, message };
    }),
  );

  deps.followUps.register(
    messageFollowUp(REVIEW_FOLLOW_UPS.ask, poster, (followUp) => {
      const { review, owner } = reviewOf(followUp);
      if (!owner) return null;
      const page = Number(followUp.payload.page ?? 0);
      const items = reviews.page(review.id, owner, page);
      if (items.length === 0) return null;
      const pages = Math.ceil(reviews.items(review.id).filter((item) => item.owner === owner).length / ACCESS_REVIEW_PAGE_SIZE);
      return { to: { user: owner }, message: accessReviewAskMessage(review, items, page, pages) };
    }),
  );

  deps.followUps.register(escalation(reviews, policy, poster, reviewOf, deps.groups ?? null));
}

/**
 * The escalation: posts what is still unanswered to security, then marks it escalated (audited);
 * nothing unanswered, nothing sent. An interrupted run whose post is in Slack is marked on reconcile.
 */
function escalation(
  reviews: ReviewService,
  policy: Policy,
  poster: SlackPoster,
  reviewOf: (followUp: FollowUp) => { review: Review; owner: string | null },
  groups: GroupMembers | null,
): FollowUpHandler {
  const unanswered = (followUp: FollowUp) => {
    const { review, owner } = reviewOf(followUp);
    if (!owner) return null;
    const open = reviews.items(review.id).filter((item) => item.owner === owner && item.answer === null);
    return open.length === 0 ? null : { review, owner, open };
  };
  const post = messageFollowUp(REVIEW_FOLLOW_UPS.escalate, poster, (followUp) => {
    const found = unanswered(followUp);
    // Security's channel, else the announcement channel, else the first security lead: told once per owner.
    const to = securityAudience(policy, groups)[0] ?? null;
    if (!found || !to) return null;
    return { to, message: accessReviewEscalationMessage(found.review, found.owner, found.open) };
  });
  const markEscalated = (followUp: FollowUp, outcome: Record<string, unknown> | undefined) => {
    if (outcome?.skipped) return;
    const { review, owner } = reviewOf(followUp);
    if (owner) reviews.escalate(review.id, owner);
  };
  return {
    kind: REVIEW_FOLLOW_UPS.escalate,
    async run(followUp) {
      const result = await post.run(followUp);
      markEscalated(followUp, result.outcome);
      return result;
    },
    async reconcile(followUp) {
      const result = await post.reconcile(followUp);
      if (result) markEscalated(followUp, result.outcome);
      return result;
    },
  };
}
