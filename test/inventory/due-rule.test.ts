import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { operator } from '../support/actors.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

/**
 * When a secret is due is said once (inventory-repo's dueArmsSql): the overdue page, its count,
 * the due-within page, a release check and the automatic-rotation candidates all read the same
 * day, the secret's next rotation or an open rotation need's day when earlier, and leave out
 * retired secrets.
 */
describe('the due day, one rule for every reader', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  it('overdue, its count, due-within, the release check and the automatic candidates agree, needs and retirement included', () => {
    const today = store.clock.now();
    const day = (offset: number) => today.plus({ days: offset }).toISODate() as string;
    const create = (name: string, lastRotatedDaysAgo: number, intervalDays: number) =>
      store.inventoryService.create({ name, type: 'api_key', intervalDays, lastRotated: day(-lastRotatedDaysAgo) }, operator(), 'test');
    create('prod/late/api_key', 40, 30); // due 10 days ago by its own date
    create('prod/needy/api_key', 1, 90); // due in 89 days, but a need made it due 3 days ago
    create('prod/soon/api_key', 25, 30); // due in 5 days
    create('prod/needed-soon/api_key', 1, 90); // due in 89 days, a need makes it due in 2
    create('prod/later/api_key', 1, 90); // due in 89 days
    create('prod/gone/api_key', 40, 30); // overdue, but retired
    const idOf = (name: string) => store.inventory.get(name)?.id as number;
    store.rotationNeeds.mark(
      [
        ['prod/needy/api_key', -3],
        ['prod/needed-soon/api_key', 2],
      ].map(([name, offset]) => ({
        secretId: idOf(name as string),
        reason: 'release',
        dueAt: today.plus({ days: offset as number }).toISO() as string,
        person: null,
        detail: null,
        origin: 'test',
      })),
      operator(),
    );
    store.inventoryService.setLifecycle('prod/gone/api_key', 'retired', operator());

    const names = (secrets: readonly { name: string }[]) => secrets.map((secret) => secret.name);
    const overdue = names(store.inventory.overdue(today));
    expect(overdue).toEqual(['prod/late/api_key', 'prod/needy/api_key']);
    expect(store.inventory.countOverdue(today)).toBe(overdue.length);
    expect(names(store.inventory.dueWithin(7, today))).toEqual(['prod/needed-soon/api_key', 'prod/soon/api_key']);
    const byNextWeek = [...overdue, 'prod/needed-soon/api_key', 'prod/soon/api_key'];
    expect(names(store.inventory.dueInEnvironment('prod', day(7)))).toEqual(byNextWeek);
    expect(names(store.inventory.automaticCandidates(today.plus({ days: 7 }), ['api_key'], 'rotor:auto'))).toEqual(byNextWeek);
  });
});
