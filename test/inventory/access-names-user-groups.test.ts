import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationsDir } from '../../src/core/project-root.js';
import { applyMigrations } from '../../src/storage/migrate.js';
import { operator } from '../support/actors.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

const FLAG_MIGRATION = '0022_secrets_naming_user_groups.sql';

/**
 * Whether any access list names a user group is asked before every member's read under
 * `visibility: restricted`: it is kept by the inventory's writes (migration 0022), so the answer
 * follows every add, edit and import at once, with no scan of the access lists.
 */
describe('whether any access list names a user group', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  const named = () => store.db.prepare('SELECT secret_name FROM secrets_naming_user_groups ORDER BY secret_name').pluck().all();

  it('follows a group added to and removed from access lists, secret by secret', () => {
    store.inventoryService.create({ name: 'prod/app/db', owner: 'U0OWNER', access: ['U0ALICE'] }, operator(), 'test');
    expect(store.inventory.accessNamesUserGroups()).toBe(false);

    store.inventoryService.update('prod/app/db', { access: ['U0ALICE', 'S0OPS'] }, operator(), 'test');
    expect(store.inventory.accessNamesUserGroups()).toBe(true);
    store.inventoryService.create({ name: 'prod/app/api', owner: 'U0OWNER', access: ['S0DBA'] }, operator(), 'test');
    expect(named()).toEqual(['prod/app/api', 'prod/app/db']);

    // An edit that leaves the group in place keeps it; one that takes it out leaves the other secret's.
    store.inventoryService.update('prod/app/db', { description: 'the ledger database' }, operator(), 'test');
    expect(named()).toEqual(['prod/app/api', 'prod/app/db']);
    store.inventoryService.update('prod/app/db', { access: ['U0ALICE'] }, operator(), 'test');
    expect(named()).toEqual(['prod/app/api']);
    expect(store.inventory.accessNamesUserGroups()).toBe(true);

    store.inventoryService.update('prod/app/api', { access: '' }, operator(), 'test');
    expect(store.inventory.accessNamesUserGroups()).toBe(false);
    expect(named()).toEqual([]);
  });

  it('follows an import that adds and changes several secrets in one write', () => {
    store.inventoryService.create({ name: 'prod/app/db', owner: 'U0OWNER', access: ['S0OPS'] }, operator(), 'test');
    const { changes } = store.inventoryService.plan([
      { name: 'prod/app/db', owner: 'U0OWNER', access: ['U0BOB'] },
      { name: 'prod/app/queue', owner: 'U0OWNER', access: ['U0BOB', 'S0QUEUE'] },
      { name: 'prod/app/cache', owner: 'U0OWNER' },
    ]);
    store.inventoryService.apply(changes, operator(), 'test-import');
    expect(named()).toEqual(['prod/app/queue']);
  });

  it('is filled in by the migration from the access lists already stored', () => {
    store.inventoryService.create({ name: 'prod/app/db', owner: 'U0OWNER', access: ['U0ALICE', 'S0OPS'] }, operator(), 'test');
    store.inventoryService.create({ name: 'prod/app/api', owner: 'U0OWNER', access: ['U0ALICE'] }, operator(), 'test');
    store.inventoryService.create({ name: 'prod/app/queue', owner: 'U0OWNER', access: ['S0QUEUE', 'S0OPS'] }, operator(), 'test');

    // A database migrated up to the migration before, holding the same secrets.
    const folder = join(store.dir, 'before-0022');
    mkdirSync(folder);
    for (const file of readdirSync(migrationsDir).filter((name) => name.endsWith('.sql') && name < FLAG_MIGRATION)) {
      copyFileSync(join(migrationsDir, file), join(folder, file));
    }
    const db = new Database(join(store.dir, 'older.db'));
    try {
      applyMigrations(db, folder);
      const columns = (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('secrets') as string[])
        .map((column) => `"${column}"`)
        .join(', ');
      db.prepare('ATTACH DATABASE ? AS current').run(store.path);
      db.exec(`INSERT INTO secrets (${columns}) SELECT ${columns} FROM current.secrets`);
      db.exec('DETACH DATABASE current');

      copyFileSync(join(migrationsDir, FLAG_MIGRATION), join(folder, FLAG_MIGRATION));
      applyMigrations(db, folder);
      expect(db.prepare('SELECT secret_name FROM secrets_naming_user_groups ORDER BY secret_name').pluck().all()).toEqual([
        'prod/app/db',
        'prod/app/queue',
      ]);
    } finally {
      db.close();
    }
  });
});
