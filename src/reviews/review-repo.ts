import type { Db } from '../storage/database.js';
import { statement } from '../storage/statements.js';
import type { ReviewKind } from './review-periods.js';

/** What a review found: secret names and counts by section, never a value. */
export type ReviewFindings = Record<string, unknown>;

export interface Review {
  id: number;
  kind: ReviewKind;
  period: string;
  startedAt: string;
  respondBy: string | null;
  findings: ReviewFindings;
}

export type AccessAnswer = 'confirmed' | 'change';

/** One access-review question: who may read this secret, asked of its owner. */
export interface AccessReviewItem {
  id: number;
  reviewId: number;
  secretId: number;
  secretName: string;
  owner: string;
  readers: string[];
  answer: AccessAnswer | null;
  answeredBy: string | null;
  answeredAt: string | null;
  escalatedAt: string | null;
}

interface ReviewRow {
  id: number;
  kind: string;
  period: string;
  started_at: string;
  respond_by: string | null;
  findings: string;
}

interface ItemRow {
  id: number;
  review_id: number;
  secret_id: number;
  secret_name: string;
  owner: string;
  readers: string;
  answer: string | null;
  answered_by: string | null;
  answered_at: string | null;
  escalated_at: string | null;
}

const reviewOf = (row: ReviewRow): Review => ({
  id: row.id,
  kind: row.kind as ReviewKind,
  period: row.period,
  startedAt: row.started_at,
  respondBy: row.respond_by,
  findings: JSON.parse(row.findings) as ReviewFindings,
});

const itemOf = (row: ItemRow): AccessReviewItem => ({
  id: row.id,
  reviewId: row.review_id,
  secretId: row.secret_id,
  secretName: row.secret_name,
  owner: row.owner,
  readers: JSON.parse(row.readers) as string[],
  answer: row.answer as AccessAnswer | null,
  answeredBy: row.answered_by,
  answeredAt: row.answered_at,
  escalatedAt: row.escalated_at,
});

/** The reviews and the access review's questions (migration 0021). Writes run inside the service's audited transaction. */
export class ReviewRepo {
  constructor(private readonly db: Db) {}

  /** Inserts the review unless its kind and period exist; returns its id, or null when it already existed. */
  insert(review: Omit<Review, 'id'>): number | null {
    const result = statement(
      this.db,
      `INSERT INTO reviews (kind, period, started_at, respond_by, findings) VALUES (@kind, @period, @startedAt, @respondBy, @findings)
       ON CONFLICT (kind, period) DO NOTHING`,
    ).run({ ...review, findings: JSON.stringify(review.findings) });
    return result.changes === 1 ? Number(result.lastInsertRowid) : null;
  }

  get(id: number): Review | null {
    const row = statement(this.db, 'SELECT * FROM reviews WHERE id = ?').get(id) as ReviewRow | undefined;
    return row ? reviewOf(row) : null;
  }

  find(kind: ReviewKind, period: string): Review | null {
    const row = statement(this.db, 'SELECT * FROM reviews WHERE kind = ? AND period = ?').get(kind, period) as ReviewRow | undefined;
    return row ? reviewOf(row) : null;
  }

  /** Newest first. */
  list(): Review[] {
    return (statement(this.db, 'SELECT * FROM reviews ORDER BY started_at DESC, id DESC').all() as ReviewRow[]).map(reviewOf);
  }

  addItem(item: Omit<AccessReviewItem, 'id' | 'answer' | 'answeredBy' | 'answeredAt' | 'escalatedAt'>): void {
    statement(
      this.db,
      `INSERT INTO access_review_items (review_id, secret_id, secret_name, owner, readers)
       VALUES (@reviewId, @secretId, @secretName, @owner, @readers) ON CONFLICT (review_id, secret_id) DO NOTHING`,
    ).run({ ...item, readers: JSON.stringify(item.readers) });
  }

  item(id: number): AccessReviewItem | null {
    const row = statement(this.db, 'SELECT * FROM access_review_items WHERE id = ?').get(id) as ItemRow | undefined;
    return row ? itemOf(row) : null;
  }

  /** A review's questions, by owner then secret name. */
  items(reviewId: number): AccessReviewItem[] {
    return (
      statement(this.db, 'SELECT * FROM access_review_items WHERE review_id = ? ORDER BY owner, secret_name').all(reviewId) as ItemRow[]
    ).map(itemOf);
  }

  itemsOf(reviewId: number, owner: string): AccessReviewItem[] {
    return this.items(reviewId).filter((item) => item.owner === owner);
  }

  answer(id: number, answer: AccessAnswer, by: string, at: string): void {
    statement(this.db, 'UPDATE access_review_items SET answer = ?, answered_by = ?, answered_at = ? WHERE id = ?').run(answer, by, at, id);
  }

  /** Marks the unanswered, not yet escalated questions of an owner escalated; returns them. */
  escalate(reviewId: number, owner: string, at: string): AccessReviewItem[] {
    const open = this.itemsOf(reviewId, owner).filter((item) => item.answer === null && item.escalatedAt === null);
    const mark = statement(this.db, 'UPDATE access_review_items SET escalated_at = ? WHERE id = ? AND escalated_at IS NULL');
    for (const item of open) mark.run(at, item.id);
    return open.map((item) => ({ ...item, escalatedAt: at }));
  }
}
