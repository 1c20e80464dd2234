import type { AccessReviewItem, Review } from './review-repo.js';

/** What a review came to in one line: the findings' counts, or the access review's answers. */
export function reviewOutcome(review: Review, items: readonly AccessReviewItem[]): string {
  if (review.kind === 'access') {
    const confirmed = items.filter((item) => item.answer === 'confirmed').length;
    const changed = items.filter((item) => item.answer === 'change').length;
    const unanswered = items.filter((item) => item.answer === null).length;
    const escalated = items.filter((item) => item.escalatedAt !== null).length;
    return `${items.length} secrets: ${confirmed} confirmed, ${changed} changed, ${unanswered} unanswered, ${escalated} escalated`;
  }
  const sections = Object.entries(review.findings).filter(([, value]) => Array.isArray(value)) as [string, unknown[]][];
  return sections.map(([name, values]) => `${name} ${values.length}`).join(', ');
}

/** `rotor reviews list`. */
export function renderReviewList(reviews: readonly { review: Review; outcome: string }[]): string {
  if (reviews.length === 0) return 'No reviews yet: the first one starts on the first working day of a month.';
  const rows = reviews.map(({ review, outcome }) => [`#${review.id}`, review.kind, review.period, review.startedAt.slice(0, 16), outcome]);
  const header = ['ID', 'KIND', 'PERIOD', 'STARTED', 'OUTCOME'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `rotor reviews show`: the review, what it found, and for the access review every answer. */
export function renderReviewDetail(review: Review, items: readonly AccessReviewItem[]): string {
  const lines = [`Review #${review.id}: ${review.kind} ${review.period}, started ${review.startedAt}`];
  if (review.respondBy) lines.push(`Owners answer by ${review.respondBy}; then unanswered secrets are escalated to security.`);
  lines.push(`Outcome: ${reviewOutcome(review, items)}`, '');
  if (review.kind === 'access') {
    for (const item of items) {
      const answer =
        item.answer === null
          ? 'unanswered'
          : `${item.answer === 'confirmed' ? 'confirmed' : 'changing readers'} by ${item.answeredBy} at ${item.answeredAt}`;
      const readers = item.readers.length === 0 ? 'nobody else' : item.readers.join(', ');
      lines.push(
        `${item.secretName}  owner ${item.owner}  readers: ${readers}  ${answer}${item.escalatedAt ? `  escalated ${item.escalatedAt}` : ''}`,
      );
    }
    return lines.join('\n');
  }
  for (const [name, value] of Object.entries(review.findings)) {
    if (Array.isArray(value)) lines.push(`${name} (${value.length})${value.length > 0 ? `: ${value.join(', ')}` : ''}`);
    else lines.push(`${name}: ${JSON.stringify(value)}`);
  }
  return lines.join('\n');
}
