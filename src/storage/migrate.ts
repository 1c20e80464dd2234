import Database from 'better-sqlite3';
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
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1)
      throw new RotorError('database', `Migrations must be numbered 0001, 0002, … without gaps; found ${migration.name}.`);
  });
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/** The migrations not yet applied to `db` (all of them for a database without a ledger): what `migrate` would apply. */
export function pendingMigrations(db: Database.Database | null, dir: string = migrationsDir): Migration[] {
  const migrations = loadMigrations(dir);
  const hasLedger = db?.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get() !== undefined;
  if (!db || !hasLedger) return migrations;
  const done = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  return migrations.filter((migration) => !done.has(migration.version));
}

/**
 * Applies pending migrations in order, each in its own transaction, and records them. Refuses
 * to run when the database and the folder disagree: an applied file that changed, a database
 * migrated by a newer Rotor than this one, a `user_version` no Rotor wrote, a file that holds
 * someone else's tables, or a schema missing a table or column its migrations created.
 */
export function applyMigrations(db: Database.Database, dir: string = migrationsDir): { applied: string[] } {
  const migrations = loadMigrations(dir);
  refuseForeignFile(db, migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
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
      throw new RotorError(
        'database',
        `Migration ${row.name} was changed after it was applied; released migrations must never be edited. Restore the original file and add a new migration instead.`,
      );
    }
  }
  const done = new Set(applied.map((row) => row.version));
  const record = db.prepare(
    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
  );
  const newlyApplied: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    withoutForeignKeyActions(db, () =>
      db
        .transaction(() => {
          // Another process may have applied it between our read and this write lock.
          const already = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
          if (already) return;
          const brokenBefore = brokenForeignKeys(db);
          db.exec(migration.sql);
          refuseBrokenForeignKeys(db, migration, brokenBefore);
          record.run(migration.version, migration.name, migration.checksum);
          // The header mirrors the newest migration applied, so other tools (and a future Rotor) can tell.
          const newest = db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number;
          db.pragma(`user_version = ${newest}`);
          newlyApplied.push(migration.name);
        })
        .immediate(),
    );
  }
  refuseMissingSchema(db, migrations);
  return { applied: newlyApplied };
}

/**
 * Runs a migration with foreign keys off, as SQLite's table rebuild needs
 * (https://sqlite.org/lang_altertable.html#otheralter): dropping a parent table with them on
 * would delete its children's rows (ON DELETE CASCADE). The pragma is a no-op inside a
 * transaction, so it is set around it; refuseBrokenForeignKeys checks what it would have.
 */
function withoutForeignKeyActions(db: Database.Database, work: () => void): void {
  const enforced = db.pragma('foreign_keys', { simple: true }) === 1;
  if (enforced) db.pragma('foreign_keys = OFF');
  try {
    work();
  } finally {
    if (enforced) db.pragma('foreign_keys = ON');
  }
}

/** Rows whose foreign key points nowhere, as `table:rowid:parent`. */
function brokenForeignKeys(db: Database.Database): Set<string> {
  return new Set(
    (db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[]).map(
      (row) => `${row.table} row ${row.rowid} → ${row.parent}`,
    ),
  );
}

/** Inside the migration's transaction: a row the migration left pointing nowhere rolls it back (rows that already did are not its doing). */
function refuseBrokenForeignKeys(db: Database.Database, migration: Migration, before: ReadonlySet<string>): void {
  const broken = [...brokenForeignKeys(db)].filter((row) => !before.has(row));
  if (broken.length > 0) {
    throw new RotorError(
      'database',
      `Migration ${migration.name} left ${broken.length} row(s) whose foreign key points nowhere (first: ${broken[0]}); nothing of it was applied.`,
    );
  }
}

function tableNames(db: Database.Database): string[] {
  return db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
}

/**
 * Refuses before anything is written (call it before the first pragma that writes, such as
 * journal_mode): a `user_version` Rotor never set (0 before Rotor set it, else the number of
 * one of its migrations), or tables without Rotor's migration ledger, which means the file
 * belongs to another program. A file with no tables at all is a new database.
 */
export function refuseForeignFile(db: Database.Database, migrations: readonly Migration[] = loadMigrations()): void {
  const userVersion = db.pragma('user_version', { simple: true }) as number;
  if (userVersion !== 0 && !migrations.some((migration) => migration.version === userVersion)) {
    const newest = migrations[migrations.length - 1]?.version ?? 0;
    throw new RotorError(
      'database',
      `The database file says it is at schema version ${userVersion} (its user_version), which this Rotor does not know (it knows up to ${newest}): it was written by a newer Rotor or by another program. Upgrade Rotor, or point ROTOR_DB at Rotor's own database.`,
    );
  }
  const tables = tableNames(db);
  if (tables.length > 0 && !tables.includes('schema_migrations')) {
    throw new RotorError(
      'database',
      `The database file holds tables (${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}) but no Rotor schema: it belongs to another program. Point ROTOR_DB at Rotor's database, or at a new path to create one.`,
    );
  }
}

/** Each table the migrations create, with its columns and the migration that added each. */
type ExpectedSchema = Map<string, Map<string, string>>;

const expectedSchemas = new Map<string, ExpectedSchema>();

/** What the migrations leave on an empty database, worked out once per set of migrations. */
function expectedSchema(migrations: readonly Migration[]): ExpectedSchema {
  const key = migrations.map((migration) => migration.checksum).join(',');
  const cached = expectedSchemas.get(key);
  if (cached) return cached;
  const scratch = new Database(':memory:');
  const schema: ExpectedSchema = new Map();
  try {
    for (const migration of migrations) {
      scratch.exec(migration.sql);
      for (const table of tableNames(scratch)) {
        const columns = schema.get(table) ?? new Map<string, string>();
        for (const column of columnNames(scratch, table)) if (!columns.has(column)) columns.set(column, migration.name);
        schema.set(table, columns);
      }
    }
    // What a later migration dropped is not expected any more.
    const final = new Set(tableNames(scratch));
    for (const [table, columns] of schema) {
      if (!final.has(table)) schema.delete(table);
      else for (const column of columns.keys()) if (!columnNames(scratch, table).includes(column)) columns.delete(column);
    }
  } finally {
    scratch.close();
  }
  expectedSchemas.set(key, schema);
  return schema;
}

function columnNames(db: Database.Database, table: string): string[] {
  return db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[];
}

/**
 * The ledger says what was applied; this checks it is still there. A table or column dropped
 * by hand would otherwise pass as "up to date" and fail later, mid-request.
 */
function refuseMissingSchema(db: Database.Database, migrations: readonly Migration[]): void {
  const applied = new Set(db.prepare('SELECT name FROM schema_migrations').pluck().all() as string[]);
  const present = new Set(tableNames(db));
  const missing: string[] = [];
  for (const [table, columns] of expectedSchema(migrations)) {
    const createdBy = columns.values().next().value as string;
    if (!present.has(table)) {
      if (applied.has(createdBy)) missing.push(`table ${table} (from ${createdBy})`);
      continue;
    }
    const actual = new Set(columnNames(db, table));
    for (const [column, addedBy] of columns)
      if (!actual.has(column) && applied.has(addedBy)) missing.push(`column ${table}.${column} (from ${addedBy})`);
  }
  if (missing.length > 0) {
    throw new RotorError(
      'database',
      `The database lacks ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}, although its ledger says those migrations were applied: it was damaged or edited by hand. Restore it from a backup (rotor backup) and investigate who changed it.`,
    );
  }
}
