import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReminderLedgerRepo } from '../../src/reminders/reminder-ledger-repo.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

/**
 * The sweep's cost must follow the reminders owed, not the inventory or the ledger's history:
 * every query the candidates are read with finds its rows by index. (Speed itself is measured by
 * `npm run bench`, never asserted here.)
 */
describe('reminder candidates', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore({ at: '2027-01-24T10:00:00Z' });
    store.inventoryService.create(
      { name: 'prod/svc1/api_key', owner: 'UOWN1', consumers: ['web'], intervalDays: 90, lastRotated: '2026-11-02T10:00:00Z' },
      operator('UADMIN1'),
      'test',
    );
  });
  afterEach(() => store.close());

  it('are read by index: no query scans the secrets, the ledger, the snoozes or the "not mine" answers', () => {
    const queries: string[] = [];
    const prepare = store.db.prepare.bind(store.db);
    store.db.prepare = ((source: string) => {
      queries.push(source);
      return prepare(source);
    }) as typeof store.db.prepare;
    const candidates = new ReminderLedgerRepo(store.db).candidates('2027-03-01');
    store.db.prepare = prepare;

    expect(candidates.map((candidate) => candidate.secret.name)).toEqual(['prod/svc1/api_key']);
    const selects = queries.filter((query) => /^\s*SELECT/i.test(query));
    expect(selects.length).toBeGreaterThanOrEqual(4);
    for (const query of selects) {
      const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${query}`).all({ until: '2027-03-01' }) as { detail: string }[]).map(
        (step) => step.detail,
      );
      expect(
        plan.filter((step) => /^SCAN (secrets|s|reminder_ledger|reminder_snoozes|reminder_not_mine|t)\b(?!.*INDEX)/.test(step)),
        `${query}\n${plan.join('\n')}`,
      ).toEqual([]);
    }
  });
});
