import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isoInstant } from '../../src/core/clock.js';
import { toUtcDate } from '../../src/inventory/schedule.js';
import { operator } from '../support/actors.js';
import { rotor } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';

/** The CI gates of issue 23: `rotor release check` and `rotor overdue --fail-if-any`, on a clock given with --at. */
describe('release gate and overdue gate for CI', () => {
  let store: TempStore;
  let at: string;
  const daysAgo = (days: number) => toUtcDate(store.clock.now().minus({ days }));
  beforeEach(() => {
    store = openTempStore();
    at = isoInstant(store.clock.now());
    // Overdue in prod (rotated 100 days ago, every 90), due in 10 days in prod, overdue in staging only.
    store.inventoryService.create(
      { name: 'prod/app/db', type: 'database', owner: 'U0OWNER', lastRotated: daysAgo(100), intervalDays: 90 },
      operator(),
      'test',
    );
    store.inventoryService.create(
      { name: 'prod/app/api_key', type: 'api_key', owner: 'U0OTHER', lastRotated: daysAgo(80), intervalDays: 90 },
      operator(),
      'test',
    );
    store.inventoryService.create(
      { name: 'staging/app/db', type: 'database', owner: 'U0OWNER', lastRotated: daysAgo(200), intervalDays: 90 },
      operator(),
      'test',
    );
  });
  afterEach(() => store.close());

  const rotateByHand = (name: string) => store.inventoryService.update(name, { lastRotated: at }, operator(), 'test');

  it('`rotor release check --env prod` exits 3 on an overdue prod secret, lists what is due in the window, and exits 0 once it is rotated', async () => {
    const failing = await rotor(store.path, 'release', 'check', '--env', 'prod', '--at', at);
    expect(failing.code).toBe(3);
    expect(failing.stdout).toMatch(/Overdue \(1\): rotate before releasing\n {2}prod\/app\/db +overdue by 10d/);
    expect(failing.stdout).toContain('prod/app/api_key');
    expect(failing.stdout).not.toContain('staging/app/db');
    expect(failing.stdout).toContain('FAIL: 1 overdue (exit code 3).');

    const json = await rotor(store.path, 'release', 'check', '--env', 'prod', '--within', '5d', '--json', '--at', at);
    expect(json.code).toBe(3);
    const report = JSON.parse(json.stdout) as { overdue: { name: string; status: string }[]; due_soon: unknown[]; exit_code: number };
    expect(report.overdue.map((item) => item.name)).toEqual(['prod/app/db']);
    expect(report.due_soon).toEqual([]);
    expect(report.exit_code).toBe(3);

    rotateByHand('prod/app/db');
    const passing = await rotor(store.path, 'release', 'check', '--env', 'prod', '--at', at);
    expect(passing.code).toBe(0);
    expect(passing.stdout).toContain('OK: nothing overdue.');
  });

  it('`--open` marks each listed secret rotation needed (release) and asks each owner once; the need is met by the rotation', async () => {
    const opened = await rotor(store.path, 'release', 'check', '--env', 'prod', '--open', '--json', '--at', at);
    expect(opened.code).toBe(3);
    expect(JSON.parse(opened.stdout).opened).toMatchObject({
      secrets: ['prod/app/db', 'prod/app/api_key'],
      owners_told: ['U0OWNER', 'U0OTHER'],
    });
    expect(
      store.rotationNeeds
        .open('release')
        .map((need) => need.secretName)
        .sort(),
    ).toEqual(['prod/app/api_key', 'prod/app/db']);
    const asks = store.db
      .prepare(`SELECT occurrence FROM follow_ups WHERE kind = 'release.owner_notice' ORDER BY occurrence`)
      .pluck()
      .all();
    expect(asks).toEqual(['U0OTHER', 'U0OWNER']);
    expect(store.db.prepare(`SELECT count(*) FROM audit_events WHERE action = 'release.rotations_requested'`).pluck().get()).toBe(1);

    // The same check again the same day marks nothing twice.
    await rotor(store.path, 'release', 'check', '--env', 'prod', '--open', '--at', at);
    expect(store.rotationNeeds.open('release')).toHaveLength(2);

    store.clock.set(store.clock.now().plus({ minutes: 5 }));
    store.inventoryService.update('prod/app/db', { lastRotated: isoInstant(store.clock.now()) }, operator(), 'test');
    expect(store.rotationNeeds.open('release').map((need) => need.secretName)).toEqual(['prod/app/api_key']);
  });

  it('`rotor overdue --fail-if-any` exits 3 while anything is overdue and 0 after; without the flag it exits 0', async () => {
    expect((await rotor(store.path, 'overdue', '--at', at)).code).toBe(0);
    const failing = await rotor(store.path, 'overdue', '--fail-if-any', '--at', at);
    expect(failing.code).toBe(3);
    expect(failing.stdout).toContain('prod/app/db');
    rotateByHand('prod/app/db');
    rotateByHand('staging/app/db');
    const passing = await rotor(store.path, 'overdue', '--fail-if-any', '--at', at);
    expect(passing).toMatchObject({ code: 0, stdout: 'No secrets.\n' });
  });

  it('an unknown environment is refused with a clear error (exit 2), the database unchanged', async () => {
    const before = snapshotTables(store, ['secrets', 'audit_events', 'rotation_needs', 'follow_ups']);
    const result = await rotor(store.path, 'release', 'check', '--env', 'production', '--open', '--at', at);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('production is not an environment of the policy');
    expect(result.stderr).toContain('prod, staging, dev');
    expect(snapshotTables(store, ['secrets', 'audit_events', 'rotation_needs', 'follow_ups'])).toEqual(before);
    expect((await rotor(store.path, 'release', 'check', '--env', 'prod', '--within', 'soon', '--at', at)).code).toBe(2);
  });
});
