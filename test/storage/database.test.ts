import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationsDir } from '../../src/core/project-root.js';
import { openDatabase } from '../../src/storage/database.js';
import { applyMigrations } from '../../src/storage/migrate.js';

describe('database and migrations', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rotor-db-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file with WAL and foreign keys, applies every migration once and records it', () => {
    const db = openDatabase(join(dir, 'nested', 'rotor.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const files = readdirSync(migrationsDir).filter((file) => file.endsWith('.sql'));
    const recorded = db.prepare('SELECT name FROM schema_migrations ORDER BY version').pluck().all();
    expect(recorded).toEqual(files.sort());
    expect(applyMigrations(db).applied).toEqual([]);
    db.close();
  });

  it('serves due/overdue queries from the next_rotation index, not a table scan', () => {
    const db = openDatabase(join(dir, 'rotor.db'));
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM secrets WHERE next_rotation <= '2026-01-01' AND lifecycle <> 'retired' ORDER BY next_rotation, name`,
      )
      .all() as { detail: string }[];
    const detail = plan.map((row) => row.detail).join(' ');
    expect(detail).toMatch(/USING INDEX secrets_live_by_next_rotation/);
    expect(detail).not.toMatch(/TEMP B-TREE/);
    db.close();
  });

  it('gives a connection 64 MiB of page cache unless asked for less (the bot asks for 8)', () => {
    const bulk = openDatabase(join(dir, 'rotor.db'));
    const lean = openDatabase(join(dir, 'rotor.db'), { cacheMiB: 8 });
    expect(bulk.pragma('cache_size', { simple: true })).toBe(-65536);
    expect(lean.pragma('cache_size', { simple: true })).toBe(-8192);
    lean.close();
    bulk.close();
  });

  it('refuses a database whose applied migration file has changed', () => {
    const folder = join(dir, 'migrations');
    mkdirSync(folder);
    copyFileSync(join(migrationsDir, '0001_inventory_and_audit.sql'), join(folder, '0001_inventory_and_audit.sql'));
    const db = new Database(join(dir, 'rotor.db'));
    applyMigrations(db, folder);
    writeFileSync(join(folder, '0001_inventory_and_audit.sql'), '-- edited\nSELECT 1;');
    expect(() => applyMigrations(db, folder)).toThrow(/0001_inventory_and_audit.sql was changed after it was applied/);
    db.close();
  });

  it('refuses a database migrated by a newer Rotor, and changes nothing', () => {
    const path = join(dir, 'rotor.db');
    openDatabase(path).close();
    const raw = new Database(path);
    raw.prepare("INSERT INTO schema_migrations VALUES (999, '0999_future.sql', 'x', '2030-01-01')").run();
    raw.close();
    expect(() => openDatabase(path)).toThrow(/migrated by a newer Rotor \(migration 0999_future.sql\)/);
    const after = new Database(path);
    expect(after.prepare('SELECT count(*) FROM schema_migrations WHERE version = 999').pluck().get()).toBe(1);
    after.close();
  });

  it('refuses a file that is not SQLite with a message naming ROTOR_DB', () => {
    const path = join(dir, 'notes.db');
    writeFileSync(path, 'this is a text file, not a database '.repeat(200));
    expect(() => openDatabase(path)).toThrow(/is not a SQLite database\. Point ROTOR_DB/);
  });
});
