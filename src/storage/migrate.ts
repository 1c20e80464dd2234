import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RotorError } from '../core/errors.js';
import { migrationsDir } from '../core/project-root.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function loadMigrations(dir: string = migrationsDir): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE_PATTERN.exec(file);
      if (!match) throw new RotorError('database', `Migration file ${file} must be named NNNN_lower_snake_name.sql.`);
      const sql = readFileSync(join(dir, file), 'utf8');
      return { version: Number(match[1]), name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
  // Numbers are handed out to parallel branches, so one may land before the one below it: each
  // number once, applied in order, is what matters.
  migrations.forEach((migration, index) => {
    const previous = migrations[index - 1];
    if (previous && previous.version === migration.version) throw new RotorError('database', `Migrations ${previous.name} and ${migration.name} share a number; each number is used once.`);
  });
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Applies pending migrations in order, each in its own transaction, and records them. Refuses
 * to run when the database and the folder disagree: an applied file that changed, or a
 * database migrated by a newer Rotor than this one.
 */
export function applyMigrations(db: Database.Database, dir: string = migrationsDir): { applied: string[] } {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const migrations = loadMigrations(dir);
  const applied = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as AppliedRow[];
  const known = new Map(migrations.map((migration) => [migration.version, migration]));
  for (const row of applied) {
    const migration = known.get(row.version);
    if (!migration) {
      throw new RotorError(
        'database',
        `The database was migrated by a newer Rotor (migration ${row.name}); this Rotor knows up to ${migrations.length}. Upgrade Rotor, or restore a backup made by this version.`,
      );
    }
    if (migration.checksum !== row.checksum) {
      throw new RotorError('database', `Migration ${row.name} was changed after it was applied; released migrations must never be edited. Restore the original file and add a new migration instead.`);
    }
  }
  const done = new Set(applied.map((row) => row.version));
  const record = db.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
  const newlyApplied: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    db.transaction(() => {
      // Another process may have applied it between our read and this write lock.
      const already = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
      if (already) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, migration.checksum);
      newlyApplied.push(migration.name);
    }).immediate();
  }
  return { applied: newlyApplied };
}
