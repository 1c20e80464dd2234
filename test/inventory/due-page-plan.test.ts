import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dueWithinPageSql, overduePageSql } from '../../src/inventory/inventory-repo.js';
import { operator } from '../support/actors.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

/** One line of EXPLAIN QUERY PLAN. */
interface PlanRow {
  id: number;
  parent: number;
  detail: string;
}

/**
 * The overdue and due-within pages are picked without sorting every due secret (issue 25: at
 * 100,000 secrets, 5,000 overdue, the sort was most of a `/secrets overdue` reply): the secrets
 * due by their own date come in order from the (next_rotation, name) index of the live secrets,
 * and only the few with open rotation needs are sorted, apart.
 */
describe('the due pages’ pick', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  const planOf = (sql: string): PlanRow[] =>
    store.db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all({ today: '', until: '', limit: 21, offset: 0, viewer: '', viewerTeams: '[]', viewerPrincipals: '[]' }) as PlanRow[];
  /** The plan rows under `row`, itself included. */
  const under = (plan: PlanRow[], row: PlanRow | undefined): PlanRow[] =>
    row ? [row, ...plan.filter((other) => other.parent === row.id).flatMap((child) => under(plan, child))] : [];
  const restricted =
    '(owner = @viewer OR backup_owner = @viewer OR team IN (SELECT value FROM json_each(@viewerTeams)) OR EXISTS (SELECT 1 FROM json_each(secrets.access) AS reader WHERE reader.value IN (SELECT value FROM json_each(@viewerPrincipals))))';

  it.each([
    ['overdue, whole inventory', overduePageSql('1'), '(next_rotation<?)'],
    ['overdue, a restricted viewer', overduePageSql(restricted), '(next_rotation<?)'],
    ['due within, whole inventory', dueWithinPageSql('1'), '(next_rotation>? AND next_rotation<?)'],
  ])(
    '%s: the index gives the order, two sorted arms are merged, the secrets due by their own date are never sorted',
    (_what, sql, range) => {
      const plan = planOf(sql);
      const merge = plan.find((row) => row.detail === 'MERGE (UNION ALL)');
      expect(merge).toBeDefined();
      const left = under(
        plan,
        plan.find((row) => row.parent === merge?.id && row.detail === 'LEFT'),
      );
      expect(left.map((row) => row.detail)).toContain(`SEARCH secrets USING INDEX secrets_live_by_next_rotation ${range}`);
      expect(left.filter((row) => row.detail.includes('TEMP B-TREE'))).toEqual([]);
      expect(plan.filter((row) => row.parent === 0 && row.detail.includes('TEMP B-TREE'))).toEqual([]);
    },
  );

  it('pages taken one after another are the whole list, in due-day then name order, needs included', () => {
    const today = store.clock.now();
    const daysAgo = (days: number) => today.minus({ days }).toISODate() as string;
    for (let index = 0; index < 30; index += 1)
      store.inventoryService.create(
        {
          name: `prod/app-${String(index).padStart(2, '0')}/api_key`,
          type: 'api_key',
          intervalDays: 30,
          lastRotated: daysAgo(31 + (index % 7)),
        },
        operator(),
        'test',
      );
    // A secret due later by its own date, made overdue by an open rotation need.
    store.inventoryService.create(
      { name: 'prod/app-needy/api_key', type: 'api_key', intervalDays: 90, lastRotated: daysAgo(1) },
      operator(),
      'test',
    );
    const needy = store.inventory.get('prod/app-needy/api_key');
    store.rotationNeeds.mark(
      [
        {
          secretId: needy?.id as number,
          reason: 'release',
          dueAt: today.minus({ days: 10 }).toISO() as string,
          person: null,
          detail: null,
          origin: 'test',
        },
      ],
      operator(),
    );
    const whole = store.inventory.overdue(today).map((secret) => secret.name);
    expect(whole).toHaveLength(31);
    expect(whole).toContain('prod/app-needy/api_key');
    const paged = [0, 7, 14, 21, 28].flatMap((offset) => store.inventory.overdue(today, { offset, limit: 7 }).map((secret) => secret.name));
    expect(paged).toEqual(whole);
    const dueDays = store.inventory
      .overdue(today)
      .map((secret) =>
        secret.name === 'prod/app-needy/api_key' ? (today.minus({ days: 10 }).toISODate() as string) : secret.nextRotation,
      );
    expect(dueDays).toEqual([...dueDays].sort());
  });
});
