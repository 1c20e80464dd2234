import type { ReviewFindings } from './review-repo.js';

/** How many entries of each list the `review.started` audit event keeps: enough to recognise it, bounded at any inventory size. */
export const AUDITED_LIST_ENTRIES = 20;

/** A list of findings as the audit event keeps it: how many, and the first few. */
export interface AuditedList {
  count: number;
  first: unknown[];
}

/**
 * The findings as the `review.started` audit event records them: every list (names of secrets, owners with
 * their counts) as its count and its first AUDITED_LIST_ENTRIES entries, everything else as it is. Whole lists
 * made the event (and its log line) grow with the inventory: 3.4 MB at 100,000 secrets, one name per secret
 * overdue or without a backup owner. The review's row keeps them whole (`rotor reviews show`).
 */
export function auditedFindings(findings: ReviewFindings): Record<string, unknown> {
  return summarised(findings) as Record<string, unknown>;
}

function summarised(value: unknown): unknown {
  if (Array.isArray(value)) return { count: value.length, first: value.slice(0, AUDITED_LIST_ENTRIES) } satisfies AuditedList;
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, summarised(inner)]));
  return value;
}
