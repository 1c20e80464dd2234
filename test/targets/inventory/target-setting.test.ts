import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { operator } from '../../support/actors.js';
import { rotor } from '../../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../../support/temp-db.js';

/** The inventory's `target` field (issue 21, item 1): set by `rotor edit --target` and imports, shown, exported, audited, replayed. */
describe('the target of a secret in the inventory', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
    store.inventoryService.create(
      { name: 'prod/app/db', type: 'database', owner: 'U0OWNER', provider: 'aws', providerRef: 'prod/app/db' },
      operator(),
      'test',
    );
  });
  afterEach(() => store.close());

  const alternating = {
    engine: 'postgres',
    host: 'db.internal',
    dbname: 'app',
    roles: ['app_a', 'app_b'],
    managing_ref: 'prod/app/db_admin',
  };

  it('`rotor edit --target` stores it with its defaults, `rotor show` prints it, `off` removes it, and the audit chain replays it', async () => {
    const set = await rotor(store.path, 'edit', 'prod/app/db', '--target', JSON.stringify(alternating));
    expect(set.stderr).toBe('');
    expect(set.stdout).toBe(
      'Saved prod/app/db: target PostgreSQL db.internal:5432/app (TLS require), alternating roles app_a and app_b, managed with prod/app/db_admin.\n',
    );
    expect(store.inventory.get('prod/app/db')?.target).toEqual({ ...alternating, port: 5432, tls: 'require' });
    const shown = JSON.parse((await rotor(store.path, 'show', 'prod/app/db', '--json')).stdout) as Record<string, unknown>;
    expect(shown.target).toEqual({ ...alternating, port: 5432, tls: 'require' });
    expect((await rotor(store.path, 'audit', 'verify', '--deep')).code).toBe(0);

    expect((await rotor(store.path, 'edit', 'prod/app/db', '--target', 'off')).stdout).toBe('Saved prod/app/db: no target.\n');
    expect(store.inventory.get('prod/app/db')?.target).toBeNull();
    expect((await rotor(store.path, 'audit', 'verify', '--deep')).code).toBe(0);
  });

  it('an import sets it from a mapping (YAML) and from JSON text (CSV); the export gives it back', async () => {
    const yaml = join(store.dir, 'inventory.yml');
    writeFileSync(
      yaml,
      [
        'secrets:',
        '  - name: prod/cache/redis_password',
        '    owner: U0OWNER',
        '    type: redis',
        '    target: { engine: redis, host: cache.internal, user: app, tls: disable, managing_ref: prod/cache/redis_admin }',
        '',
      ].join('\n'),
    );
    expect((await rotor(store.path, 'import', yaml)).code).toBe(0);
    expect(store.inventory.get('prod/cache/redis_password')?.target).toEqual({
      engine: 'redis',
      host: 'cache.internal',
      port: 6379,
      user: 'app',
      tls: 'disable',
      managing_ref: 'prod/cache/redis_admin',
    });
    const csv = join(store.dir, 'inventory.csv');
    const cell = JSON.stringify({ engine: 'postgres', host: '127.0.0.1', role: 'billing' }).replaceAll('"', '""');
    writeFileSync(csv, `name,owner,type,target\nprod/billing/db,U0OWNER,database,"${cell}"\n`);
    expect((await rotor(store.path, 'import', csv)).code).toBe(0);
    expect(store.inventory.get('prod/billing/db')?.target).toMatchObject({ engine: 'postgres', role: 'billing', dbname: 'postgres' });
    const exported = JSON.parse((await rotor(store.path, 'export', '--format', 'json')).stdout) as { secrets: Record<string, unknown>[] };
    expect(exported.secrets.find((secret) => secret.name === 'prod/billing/db')?.target).toMatchObject({ role: 'billing' });
  });

  it('refuses a target that is not JSON, names no role, both role and roles, the same role twice, an unknown engine or key; the database is unchanged', async () => {
    const before = snapshotTables(store);
    const refusals: [string, RegExp][] = [
      ['{engine: postgres', /The target is not JSON/],
      [JSON.stringify({ engine: 'postgres', host: 'db.internal' }), /name either `role`.*or `roles`/],
      [JSON.stringify({ engine: 'postgres', host: 'db.internal', role: 'a', roles: ['a', 'b'] }), /not both or neither/],
      [JSON.stringify({ engine: 'postgres', host: 'db.internal', roles: ['a', 'a'] }), /must be different roles/],
      [JSON.stringify({ engine: 'mysql', host: 'db.internal', role: 'a' }), /engine must be postgres or redis/],
      [JSON.stringify({ engine: 'redis', host: 'cache.internal', user: 'app', password: 'x' }), /unknown key password/],
      [JSON.stringify({ engine: 'redis', host: 'https://cache.internal', user: 'app' }), /target.host: must be a host name/],
    ];
    for (const [target, message] of refusals) {
      const refused = await rotor(store.path, 'edit', 'prod/app/db', '--target', target);
      expect(refused.code, target).not.toBe(0);
      expect(refused.stderr, target).toMatch(message);
    }
    expect(snapshotTables(store)).toEqual(before);
  });
});
