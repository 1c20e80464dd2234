import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationsDir } from '../../src/core/project-root.js';
import { openDatabase } from '../../src/storage/database.js';
import { applyMigrations } from '../../src/storage/migrate.js';
import { rotor } from '../support/cli.js';

/** Files that are not (or no longer) Rotor's database must never be taken for an empty inventory. */
describe('foreign and damaged database files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rotor-foreign-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const tables = (path: string) => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
    } finally {
      db.close();
    }
  };

  it('read-only commands refuse a zero-length file (a copy cut off part-way) and leave it as it is', async () => {
    const path = join(dir, 'rotor.db');
    writeFileSync(path, '');
    for (const argv of [['list'], ['audit', 'verify'], ['overdue', '--json'], ['export']]) {
      expect(await rotor(path, ...argv)).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/is an empty file \(0 bytes\), not a Rotor database/),
      });
    }
    expect(statSync(path).size).toBe(0);
  });

  it('read-only commands refuse a SQLite file without Rotor schema, and migrate does set one up', async () => {
    const path = join(dir, 'rotor.db');
    const raw = new Database(path);
    raw.exec('CREATE TABLE scratch (x); DROP TABLE scratch;');
    raw.close();
    expect(await rotor(path, 'list')).toMatchObject({ code: 2, stderr: expect.stringMatching(/holds no Rotor schema/) });
    expect(await rotor(path, 'audit', 'verify')).toMatchObject({ code: 2, stderr: expect.stringMatching(/holds no Rotor schema/) });
    expect(tables(path)).toEqual([]);
    expect(await rotor(path, 'migrate')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Applied 0001/) });
    expect(await rotor(path, 'list')).toMatchObject({ code: 0, stdout: 'No secrets.\n' });
  });

  it("refuses another program's SQLite file everywhere, migrate included, and adds nothing to it", async () => {
    const path = join(dir, 'app.db');
    const raw = new Database(path);
    raw.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users (email) VALUES ('a@example.com');");
    raw.close();
    const before = readFileSync(path);
    for (const argv of [['migrate'], ['list']]) {
      expect(await rotor(path, ...argv)).toMatchObject({
        code: expect.any(Number),
        stderr: expect.stringMatching(/holds no Rotor schema|holds tables \(users\) but no Rotor schema: it belongs to another program/),
      });
    }
    expect(() => openDatabase(path)).toThrow(/holds tables \(users\) but no Rotor schema/);
    expect(tables(path)).toEqual(['users']);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('migrate checks the schema it expects, not only its ledger: a dropped table or column is refused', async () => {
    const path = join(dir, 'rotor.db');
    openDatabase(path).close();
    const raw = new Database(path);
    raw.exec('DROP TABLE secret_review_flags');
    raw.close();
    expect(await rotor(path, 'migrate')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/The database lacks table secret_review_flags \(from 0002_reminders.sql\), although its ledger says/),
    });
    const other = join(dir, 'other.db');
    openDatabase(other).close();
    const column = new Database(other);
    column.exec('ALTER TABLE reminder_sweeps DROP COLUMN error');
    column.close();
    expect(await rotor(other, 'migrate')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/lacks column reminder_sweeps\.error \(from 0002_reminders.sql\)/),
    });
    expect(await rotor(other, 'list')).toMatchObject({ code: 1, stderr: expect.stringMatching(/lacks column reminder_sweeps\.error/) });
  });

  it('expects what the migrations leave, not what a later one dropped', () => {
    const folder = join(dir, 'migrations');
    mkdirSync(folder);
    copyFileSync(join(migrationsDir, '0001_inventory_and_audit.sql'), join(folder, '0001_inventory_and_audit.sql'));
    writeFileSync(join(folder, '0002_drop_head.sql'), 'DROP TABLE audit_head;\nALTER TABLE secrets DROP COLUMN checklist_override;\n');
    const db = new Database(join(dir, 'rotor.db'));
    expect(applyMigrations(db, folder).applied).toEqual(['0001_inventory_and_audit.sql', '0002_drop_head.sql']);
    expect(applyMigrations(db, folder).applied).toEqual([]);
    db.close();
  });

  it('refuses a user_version it does not know, and records the newest migration in it', async () => {
    const path = join(dir, 'rotor.db');
    const db = openDatabase(path);
    const newest = db.prepare('SELECT max(version) FROM schema_migrations').pluck().get();
    expect(db.pragma('user_version', { simple: true })).toBe(newest);
    db.pragma('user_version = 999');
    db.close();
    expect(await rotor(path, 'migrate')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/at schema version 999 \(its user_version\), which this Rotor does not know/),
    });
    expect(await rotor(path, 'list')).toMatchObject({ code: 1, stderr: expect.stringMatching(/user_version/) });
  });

  it('creates the data folder 0700 and the database, its WAL and shared-memory files 0600', () => {
    const previous = process.umask(0o022);
    try {
      const folder = join(dir, 'data');
      const path = join(folder, 'rotor.db');
      const db = openDatabase(path);
      db.prepare("INSERT INTO reminder_sweeps (started_at) VALUES ('2026-01-01')").run();
      expect(statSync(folder).mode & 0o777).toBe(0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`])
        expect({ file, mode: (statSync(file).mode & 0o777).toString(8) }).toEqual({ file, mode: '600' });
      db.close();
    } finally {
      process.umask(previous);
    }
  });
});
