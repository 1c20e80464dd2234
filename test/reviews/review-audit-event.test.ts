import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/audit/audit-log.js';
import { parsePolicy } from '../../src/config/policy.js';
import { firstWorkingDay } from '../../src/reviews/review-periods.js';
import { AUDITED_LIST_ENTRIES } from '../../src/reviews/audited-findings.js';
import type { Runtime } from '../../src/runtime.js';
import { operator } from '../support/actors.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { sideRuntime } from '../support/rotations.js';

/**
 * The monthly review's `review.started` audit event (issue 25: at 100,000 secrets it named every
 * one, a 3.4 MB audit and log line) keeps each list's count and its first entries; the review's
 * row keeps the lists whole.
 */
describe('the review.started audit event', () => {
  let store: TempStore;
  let runtime: Runtime;
  const unowned = AUDITED_LIST_ENTRIES * 3;

  beforeEach(() => {
    store = openTempStore({ policy: parsePolicy('channels:\n  announce: C0ANNOUNCE\n') });
    runtime = sideRuntime(store);
    for (let index = 0; index < unowned; index += 1)
      store.inventoryService.create({ name: `prod/app-${index}/api_key`, type: 'api_key' }, operator(), 'test');
  });
  afterEach(() => store.close());

  it('counts each list and names at most its first entries; the review keeps every name', () => {
    // The next month that is not a quarter's first, on its first working day: a monthly review is due.
    let month = store.clock.now().toUTC().startOf('month').plus({ months: 1 });
    while ([1, 4, 7, 10].includes(month.month)) month = month.plus({ months: 1 });
    const day = firstWorkingDay(month.year, month.month).plus({ hours: 9 });
    store.clock.set(day);

    const [review] = runtime.reviews.startDue(day);
    expect(review?.kind).toBe('monthly');
    expect((review?.findings.unowned as string[]).length).toBe(unowned);
    expect((runtime.reviews.get(review?.id as number)?.findings.unowned as string[]).length).toBe(unowned);

    const rows = store.db.prepare("SELECT details FROM audit_events WHERE action = 'review.started'").pluck().all() as string[];
    expect(rows).toHaveLength(1);
    const details = JSON.parse(rows[0] as string) as { findings: Record<string, { count: number; first: string[] }> };
    expect(details.findings.unowned?.count).toBe(unowned);
    expect(details.findings.unowned?.first).toEqual((review?.findings.unowned as string[]).slice(0, AUDITED_LIST_ENTRIES));
    expect(details.findings.neverRotated?.count).toBe(unowned);
    for (const list of Object.values(details.findings)) expect(list.first.length).toBeLessThanOrEqual(AUDITED_LIST_ENTRIES);
    expect(verifyAuditChain(store.db).firstBreak).toBeNull();
  });
});
