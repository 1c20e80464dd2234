import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toUtcDate } from '../../../src/inventory/schedule.js';
import { operator } from '../../support/actors.js';
import { startSlackHarness, TEST_POLICY, type SlackHarness } from '../../support/slack-app-harness.js';

/** Where user_change events are not delivered, the reminder sweep's users.info lookups find who left. */
describe('a departure found by the reminder sweep', () => {
  let harness: SlackHarness;
  beforeEach(async () => {
    harness = await startSlackHarness({
      policy: TEST_POLICY,
      beforeStart: ({ fake, store }) => {
        for (const user of ['U0BACKUP', 'U0OWNER', 'U0SEC']) fake.addUser(user, 'UTC');
        // Deactivated in Slack, and no event came: users.info says `deleted`.
        fake.users.set('U0GONE', { tz: 'UTC', deleted: true });
        const overdue = toUtcDate(store.clock.now().minus({ days: 100 }));
        const recent = toUtcDate(store.clock.now().minus({ days: 10 }));
        store.inventoryService.create(
          { name: 'prod/app/db', type: 'database', owner: 'U0GONE', backupOwner: 'U0BACKUP', lastRotated: overdue, intervalDays: 90 },
          operator(),
          'test',
        );
        store.inventoryService.create(
          { name: 'prod/app/cache', type: 'redis', owner: 'U0OWNER', access: ['U0GONE'], lastRotated: recent, intervalDays: 90 },
          operator(),
          'test',
        );
      },
    });
  });
  afterEach(async () => harness.close());

  it('the start-up sweep records the departure (source sweep): both secrets marked, ownership to the backup owner; the next sweep changes nothing', async () => {
    await harness.waitForLog((line) => line.job === 'reminder-sweep');
    const needs = harness.store.rotationNeeds.open('personnel_change');
    expect(needs.map((need) => need.secretName).sort()).toEqual(['prod/app/cache', 'prod/app/db']);
    expect(harness.store.inventory.get('prod/app/db')).toMatchObject({ owner: 'U0BACKUP', backupOwner: null });
    const event = harness.store.db.prepare(`SELECT details FROM audit_events WHERE action = 'personnel.departed'`).get() as {
      details: string;
    };
    expect(JSON.parse(event.details)).toMatchObject({ user: 'U0GONE', source: 'sweep' });

    await harness.runtime.runJob('reminder-sweep');
    expect(harness.store.db.prepare(`SELECT count(*) FROM personnel_changes`).pluck().get()).toBe(1);
    expect(harness.store.rotationNeeds.open('personnel_change')).toHaveLength(2);
  });
});
