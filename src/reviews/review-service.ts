import { auditedFindings } from './audited-findings.js';
import type { DateTime } from 'luxon';
import { type Actor, actorId } from '../access/actor.js';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { type Clock, isoInstant } from '../core/clock.js';
import { RotorError } from '../core/errors.js';
import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import type { InventoryRepo, ReviewListed } from '../inventory/inventory-repo.js';
import { daysUntil } from '../inventory/schedule.js';
import type { Secret } from '../inventory/secret.js';
import type { RecipientDirectoryRepo, ReviewFlag } from '../reminders/recipient-directory-repo.js';
import type { RotationNeed } from '../rotation-needs/rotation-need.js';
import type { RotationNeedService } from '../rotation-needs/rotation-need-service.js';
import type { RotationReport } from '../rotation/history/rotation-report.js';
import { type DueReview, REVIEW_KINDS, type ReviewKind, reviewsDue } from './review-periods.js';
import type { AccessAnswer, AccessReviewItem, Review, ReviewFindings, ReviewRepo } from './review-repo.js';

/** The follow-ups a review schedules; each posts once (src/slack/outbound/slack-review-follow-ups.ts). */
export const REVIEW_FOLLOW_UPS = {
  /** The monthly, quarterly or annual review posted to the announcement channel; topic `review:<id>`. */
  post: 'review.post',
  /** One page of an owner's access-review questions, by DM; topic `review:<id>:<owner>`, occurrence `page-<n>`. */
  ask: 'review.access.ask',
  /** An owner's questions still unanswered at the policy's days, to security, once; topic `review:<id>:<owner>`. */
  escalate: 'review.access.escalate',
} as const;

/** Secrets per access-review message: two blocks each keeps a message far under Slack's 50 blocks. */
export const ACCESS_REVIEW_PAGE_SIZE = 10;

/** The playbook's monthly checks, as they stand now. */
export interface MonthlyChecks {
  ownerGone: ReviewFlag[];
  unowned: ReviewListed[];
  withoutBackup: ReviewListed[];
  neverRotated: ReviewListed[];
  overdue: Secret[];
  /** Secrets others may read (an `access` list): the permissions the fourth check reviews. */
  withReaders: ReviewListed[];
  needs: RotationNeed[];
}

/** The quarterly review's ownership and inventory audit. */
export interface InventoryAudit {
  live: number;
  retired: number;
  byEnvironment: Record<string, number>;
  byProvider: Record<string, number>;
  /** Live secrets per owner, most first. */
  owners: { owner: string; secrets: number }[];
}

export interface ReviewServiceDeps {
  repo: ReviewRepo;
  inventory: InventoryRepo;
  recipients: RecipientDirectoryRepo;
  rotationNeeds: RotationNeedService;
  /** The year's `rotor report rotations`. */
  rotationReport: (period: { since: string; until: string }) => RotationReport;
  audit: AuditLog;
  followUps: FollowUpService;
  clock: Clock;
  policy: Policy;
}

export function reviewTopic(reviewId: number, owner?: string): string {
  return owner ? `review:${reviewId}:${owner}` : `review:${reviewId}`;
}

/** The review id and owner a review follow-up's topic names, or null. */
export function parseReviewTopic(topic: string): { reviewId: number; owner: string | null } | null {
  const match = /^review:(\d+)(?::([A-Z0-9]+))?$/.exec(topic);
  return match ? { reviewId: Number(match[1]), owner: match[2] ?? null } : null;
}

const names = (secrets: readonly { name: string }[]) => secrets.map((secret) => secret.name);

function counted(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/**
 * The reviews of the playbooks, started on their own: the job asks `startDue` every run, and a
 * review is started once per kind and period (the table's key), its findings kept and audited,
 * and what it posts or asks scheduled as durable follow-ups in the same transaction, so a
 * restart, a crash or a second replica neither loses nor repeats one. The access review's
 * answers come back through `answer`, from the owner only.
 */
export class ReviewService {
  constructor(private readonly deps: ReviewServiceDeps) {}

  /** Starts every review owed at `now` not started yet; returns the ones it started. */
  startDue(now: DateTime = this.deps.clock.now()): Review[] {
    return reviewsDue(now).flatMap((due) => this.start(due, now) ?? []);
  }

  /** The playbook's monthly checks over the whole inventory, now. */
  monthlyChecks(now: DateTime = this.deps.clock.now()): MonthlyChecks {
    const { inventory } = this.deps;
    return {
      ownerGone: this.deps.recipients.reviewFlags(),
      unowned: inventory.reviewListed('unowned'),
      withoutBackup: inventory.reviewListed('withoutBackup'),
      neverRotated: inventory.reviewListed('neverRotated'),
      overdue: inventory.overdue(now),
      withReaders: inventory.reviewListed('withReaders'),
      needs: this.deps.rotationNeeds.open(),
    };
  }

  /** The quarterly review's ownership and inventory audit, now. */
  inventoryAudit(): InventoryAudit {
    const { inventory } = this.deps;
    const live = inventory.countLive();
    const owners = Object.entries(inventory.liveCountsBy('owner'))
      .map(([owner, secrets]) => ({ owner, secrets }))
      .sort((a, b) => b.secrets - a.secrets || a.owner.localeCompare(b.owner));
    return {
      live,
      retired: inventory.count() - live,
      byEnvironment: inventory.liveCountsBy('environment'),
      byProvider: inventory.liveCountsBy('provider'),
      owners,
    };
  }

  /** The annual review: the year's `rotor report rotations`. */
  yearReport(year: string): RotationReport {
    return this.deps.rotationReport({ since: `${year}-01-01`, until: `${year}-12-31` });
  }

  list(): Review[] {
    return this.deps.repo.list();
  }

  /** A review by id (`12`, `#12`) or by kind and period (`access 2027-Q1`, `access:2027-Q1`). */
  find(reference: string): Review {
    const trimmed = reference.trim();
    const byId = /^#?(\d+)$/.exec(trimmed);
    const byPeriod = /^([a-z]+)[\s:]+(\S+)$/.exec(trimmed);
    const review = byId
      ? this.deps.repo.get(Number(byId[1]))
      : byPeriod && (REVIEW_KINDS as readonly string[]).includes(byPeriod[1] as string)
        ? this.deps.repo.find(byPeriod[1] as ReviewKind, byPeriod[2] as string)
        : null;
    if (!review)
      throw new RotorError(
        'not_found',
        `No review ${trimmed}: give its id (see \`rotor reviews list\`) or its kind and period, e.g. \`access 2027-Q1\`.`,
      );
    return review;
  }

  get(id: number): Review | null {
    return this.deps.repo.get(id);
  }

  items(reviewId: number): AccessReviewItem[] {
    return this.deps.repo.items(reviewId);
  }

  /** One page of an owner's questions, as they stand (answered ones included: the message shows the answer). */
  page(reviewId: number, owner: string, page: number): AccessReviewItem[] {
    return this.deps.repo.itemsOf(reviewId, owner).slice(page * ACCESS_REVIEW_PAGE_SIZE, (page + 1) * ACCESS_REVIEW_PAGE_SIZE);
  }

  /** The page of its owner's access-review message a question is on, as it stands, and how many pages there are. */
  pageOf(item: AccessReviewItem): { items: AccessReviewItem[]; page: number; pages: number } {
    const all = this.deps.repo.itemsOf(item.reviewId, item.owner);
    const page = Math.max(0, Math.floor(all.findIndex((other) => other.id === item.id) / ACCESS_REVIEW_PAGE_SIZE));
    return {
      items: all.slice(page * ACCESS_REVIEW_PAGE_SIZE, (page + 1) * ACCESS_REVIEW_PAGE_SIZE),
      page,
      pages: Math.ceil(all.length / ACCESS_REVIEW_PAGE_SIZE),
    };
  }

  /** The question with this id, for the answer's view. */
  item(id: number): AccessReviewItem {
    const item = this.deps.repo.item(id);
    if (!item) throw new RotorError('not_found', 'This access review question is not in the database (a button from another Rotor?).');
    return item;
  }

  /**
   * An owner's answer to "who may read this secret?". Only the owner asked (or the secret's owner
   * now, if it was handed over since) may answer; anyone else is refused, audited, and nothing
   * changes. The same answer again changes nothing; a different one is recorded too.
   */
  answer(itemId: number, answer: AccessAnswer, actor: Actor): { item: AccessReviewItem; changed: boolean } {
    const item = this.item(itemId);
    const by = actorId(actor);
    const currentOwner = this.deps.inventory.getById(item.secretId)?.owner ?? null;
    if (actor.kind !== 'slack' || (by !== item.owner && by !== currentOwner)) {
      this.deps.audit.log({
        actor: by,
        action: 'access.denied',
        secret: item.secretName,
        details: { attempted: 'access_review.answer', reviewId: item.reviewId, owner: item.owner },
      });
      throw new RotorError(
        'forbidden',
        `Only the owner of ${item.secretName} (${item.owner}) can answer its access review: nothing was recorded. Ask them, or the security leads.`,
      );
    }
    if (item.answer === answer) return { item, changed: false };
    const at = isoInstant(this.deps.clock.now());
    return this.deps.audit.record(() => {
      this.deps.repo.answer(item.id, answer, by, at);
      const answered = { ...item, answer, answeredBy: by, answeredAt: at };
      return {
        result: { item: answered, changed: true },
        events: [
          {
            actor: by,
            action: 'review.access_answered',
            secret: item.secretName,
            details: { reviewId: item.reviewId, item: item.id, answer, previous: item.answer, readers: item.readers },
          },
        ],
      };
    });
  }

  /** Marks an owner's still unanswered questions escalated and audits it; returns them (none: nothing to escalate). */
  escalate(reviewId: number, owner: string): AccessReviewItem[] {
    const at = isoInstant(this.deps.clock.now());
    return this.deps.audit.record(() => {
      const open = this.deps.repo.escalate(reviewId, owner, at);
      const events: AuditEventInput[] =
        open.length === 0
          ? []
          : [
              {
                actor: 'rotor',
                action: 'review.access_escalated',
                details: { reviewId, owner, secrets: open.map((item) => item.secretName) },
              },
            ];
      return { result: open, events };
    });
  }

  private start(due: DueReview, now: DateTime): Review | null {
    if (this.deps.repo.find(due.kind, due.period)) return null;
    const startedAt = isoInstant(now);
    const respondBy = due.kind === 'access' ? isoInstant(now.plus({ days: this.deps.policy.reviews.accessReviewDays })) : null;
    const findings = this.findingsOf(due, now);
    return this.deps.audit.record(() => {
      const id = this.deps.repo.insert({ kind: due.kind, period: due.period, startedAt, respondBy, findings });
      if (id === null) return { result: null, events: [] };
      if (due.kind === 'access') this.askOwners(id, startedAt, respondBy as string);
      else this.deps.followUps.schedule({ kind: REVIEW_FOLLOW_UPS.post, topic: reviewTopic(id), dueAt: startedAt });
      const review: Review = { id, kind: due.kind, period: due.period, startedAt, respondBy, findings };
      return {
        result: review,
        events: [
          {
            actor: 'rotor',
            action: 'review.started',
            details: { reviewId: id, kind: due.kind, period: due.period, respondBy, findings: auditedFindings(findings) },
          },
        ],
      };
    });
  }

  /** Names and counts only: what `rotor reviews show` prints (the audit event keeps counts and the first names: auditedFindings). */
  private findingsOf(due: DueReview, now: DateTime): ReviewFindings {
    if (due.kind === 'annual') {
      const { totals, secrets } = this.yearReport(due.period);
      return { totals, missed: secrets.filter((secret) => secret.missed).map((secret) => secret.name) };
    }
    if (due.kind === 'access') {
      const owned = this.deps.inventory.ownedListed();
      return { secrets: owned.length, owners: new Set(owned.map((secret) => secret.owner)).size };
    }
    // The same checks as monthlyChecks, read as names: the findings keep nothing else.
    const { inventory } = this.deps;
    const monthly = {
      ownerGone: this.deps.recipients.reviewFlags().map((flag) => flag.secretName),
      unowned: inventory.reviewNames('unowned'),
      withoutBackup: inventory.reviewNames('withoutBackup'),
      neverRotated: inventory.reviewNames('neverRotated'),
      overdue: names(inventory.overdue(now).filter((secret) => daysUntil(secret.nextRotation, now) < 0)),
      withReaders: inventory.reviewNames('withReaders'),
      rotationNeeded: this.deps.rotationNeeds.open().map((need) => need.secretName),
    };
    return due.kind === 'quarterly' ? { ...monthly, audit: this.inventoryAudit() } : monthly;
  }

  /** The access review's questions (each live owned secret to its owner), an ask per page, and one escalation per owner. */
  private askOwners(reviewId: number, startedAt: string, respondBy: string): void {
    const owned = this.deps.inventory.ownedListed();
    for (const secret of owned)
      this.deps.repo.addItem({ reviewId, secretId: secret.id, secretName: secret.name, owner: secret.owner, readers: secret.access });
    const byOwner = counted(owned.map((secret) => secret.owner));
    for (const [owner, count] of Object.entries(byOwner)) {
      const topic = reviewTopic(reviewId, owner);
      for (let page = 0; page * ACCESS_REVIEW_PAGE_SIZE < count; page += 1)
        this.deps.followUps.schedule({
          kind: REVIEW_FOLLOW_UPS.ask,
          topic,
          occurrence: `page-${page}`,
          dueAt: startedAt,
          payload: { page },
        });
      this.deps.followUps.schedule({ kind: REVIEW_FOLLOW_UPS.escalate, topic, dueAt: respondBy });
    }
  }
}
