import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { operator } from '../support/actors.js';
import { rotor } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';

const TABLES = ['secrets', 'audit_events', 'rotation_needs', 'follow_ups'];

/** `rotor used`: the CLI's way to record a break-glass use, for the operator or on someone's behalf. */
describe('rotor used', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
    store.inventoryService.create(
      { name: 'prod/vault/root_token', type: 'generic', owner: 'U0OWNER', breakGlass: true },
      operator(),
      'test',
    );
    store.inventoryService.create({ name: 'prod/app/db', type: 'database', owner: 'U0OWNER' }, operator(), 'test');
  });
  afterEach(() => store.close());

  it('records who used it and why, and opens a need due within 24 hours; the owner is queued to be told (the default policy names no security audience)', async () => {
    const result = await rotor(
      store.path,
      'used',
      'prod/vault/root_token',
      '--reason',
      'database restore drill',
      '--by',
      'U0ONCALL',
      '--json',
    );
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { due_at: string; used_by: string };
    expect(printed.used_by).toBe('U0ONCALL');
    const [need] = store.rotationNeeds.open('break_glass_use');
    expect(need).toMatchObject({ secretName: 'prod/vault/root_token', person: 'U0ONCALL', detail: 'database restore drill' });
    // The CLI runs on the machine's clock: the need is due 24 hours after the use it recorded.
    const details = JSON.parse(
      store.db.prepare(`SELECT details FROM audit_events WHERE action = 'secret.break_glass_used'`).pluck().get() as string,
    ) as { usedAt: string; dueAt: string };
    expect(need!.dueAt).toBe(details.dueAt);
    expect(Date.parse(details.dueAt) - Date.parse(details.usedAt)).toBe(24 * 3600 * 1000);
    expect(store.db.prepare(`SELECT kind FROM follow_ups ORDER BY kind`).pluck().all()).toEqual(['break_glass.owner_notice']);
  });

  it('refuses a secret that is not break-glass, and a missing reason; the database is unchanged', async () => {
    const before = snapshotTables(store, TABLES);
    const plain = await rotor(store.path, 'used', 'prod/app/db', '--reason', 'needed it');
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('prod/app/db is not a break-glass credential, so no use is recorded and nothing was changed');
    const bare = await rotor(store.path, 'used', 'prod/vault/root_token');
    expect(bare.code).toBe(2);
    expect(snapshotTables(store, TABLES)).toEqual(before);
  });
});
