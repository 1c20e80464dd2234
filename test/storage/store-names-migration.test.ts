import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationsDir } from '../../src/core/project-root.js';
import { applyMigrations } from '../../src/storage/migrate.js';

const REBUILT = ['secrets', 'rotations', 'incidents', 'reference_change_requests'];

/** What a table is made of, as SQLite says: its indexes (with their SQL), its foreign keys, and whether it is STRICT. */
function shapeOf(db: Database.Database, table: string) {
  return {
    columns: db.prepare(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid`).all(table),
    indexes: db.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? ORDER BY name`).all(table),
    foreignKeys: db.prepare(`SELECT "table", "from", "to", on_delete FROM pragma_foreign_key_list(?) ORDER BY id`).all(table),
    strict: /\)\s*STRICT\s*$/.test(
      db.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`).pluck().get(table) as string,
    ),
  };
}

/** Every row of every table, by table, in a fixed order (some tables have no rowid). */
function everyRow(db: Database.Database): Record<string, string[]> {
  const tables = db
    .prepare(
      `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`,
    )
    .pluck()
    .all() as string[];
  return Object.fromEntries(
    tables.map((table) => [
      table,
      db
        .prepare(`SELECT * FROM "${table}"`)
        .all()
        .map((row) => JSON.stringify(row))
        .sort(),
    ]),
  );
}

describe('migration 0013: store names checked by the store catalog, not by the schema', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rotor-0013-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A database migrated up to 0012, with rows in every table 0013 rebuilds and in their children. */
  function databaseAt0012(): Database.Database {
    const folder = join(dir, 'up-to-0012');
    mkdirSync(folder);
    for (const file of readdirSync(migrationsDir).filter((name) => /^00(0\d|1[0-2])_/.test(name)))
      copyFileSync(join(migrationsDir, file), join(folder, file));
    const db = new Database(join(dir, 'rotor.db'));
    db.pragma('foreign_keys = ON');
    applyMigrations(db, folder);
    expect(db.pragma('user_version', { simple: true })).toBe(12);
    const at = '2030-01-02T03:04:05.000Z';
    const secret = db.prepare(
      `INSERT INTO secrets (name, environment, service, credential_type, type, owner, consumers, provider, provider_ref, interval_days, next_rotation, tags, created_at, updated_at, value_source, value_field)
       VALUES (?, 'prod', 'app', 'db', 'database', 'U0OWNER', '["api"]', 'aws', 'prod/app/db', 90, '2030-04-02', '{"team":"core"}', ?, ?, 'generate', 'password')`,
    );
    const first = Number(secret.run('prod/app/db', at, at).lastInsertRowid);
    const second = Number(
      db
        .prepare(
          `INSERT INTO secrets (name, environment, service, credential_type, type, provider, interval_days, next_rotation, created_at, updated_at) VALUES ('prod/vault/key', 'prod', 'vault', 'key', 'generic', 'vault', 30, '2030-02-01', ?, ?)`,
        )
        .run(at, at).lastInsertRowid,
    );
    db.prepare(
      `INSERT INTO reminder_ledger (secret_id, cycle, kind, recipient, level, state) VALUES (?, '2030-04-02', 'due', 'U0OWNER', 'owner', 'sent')`,
    ).run(first);
    const rotation = Number(
      db
        .prepare(
          `INSERT INTO rotations (secret_id, secret_name, kind, state, environment, provider, provider_ref, checklist_source, started_by, started_at, held_by, updated_at, previous_next_rotation, previous_lifecycle)
           VALUES (?, 'prod/app/db', 'scheduled', 'in_progress', 'prod', 'aws', 'prod/app/db', '{"kind":"template"}', 'U0OWNER', ?, 'U0OWNER', ?, '2030-04-02', 'active')`,
        )
        .run(first, at, at).lastInsertRowid,
    );
    db.prepare(
      `INSERT INTO rotation_steps (rotation_id, position, step_id, title, action, required, state) VALUES (?, 1, 'create_version', 'Create it', 'create_version', 1, 'pending')`,
    ).run(rotation);
    db.prepare(
      `INSERT INTO rotation_approvals (rotation_id, role, decision, decided_by, decided_at) VALUES (?, 'security_lead', 'approved', 'U0SEC', ?)`,
    ).run(rotation, at);
    const incident = Number(
      db
        .prepare(
          `INSERT INTO incidents (secret_id, secret_name, state, severity, reason, channel, responder, revocation_order, destroy, previous_lifecycle, rotation_id, opened_at, last_update_at, provider, provider_ref)
           VALUES (?, 'prod/vault/key', 'open', 'SEV2', 'leaked in a log', 'C0INCIDENT', 'U0SEC', 'disable_now', 1, 'active', ?, ?, ?, 'vault', 'secret/prod/vault/key')`,
        )
        .run(second, rotation, at, at).lastInsertRowid,
    );
    db.prepare(
      `INSERT INTO incident_events (incident_id, at, actor, kind, dedupe_key, summary) VALUES (?, ?, 'U0SEC', 'opened', 'opened', 'opened')`,
    ).run(incident, at);
    db.prepare(`INSERT INTO incident_pages (incident_id, user_id, level, paged_at) VALUES (?, 'U0OWNER', 'owner', ?)`).run(incident, at);
    db.prepare(
      `INSERT INTO reference_change_requests (secret_id, secret_name, from_provider, from_ref, to_provider, to_ref, requested_by, requested_at, state) VALUES (?, 'prod/app/db', 'aws', 'prod/app/db', 'vault', 'secret/prod/app/db', 'U0OWNER', ?, 'pending')`,
    ).run(first, at);
    return db;
  }

  it('keeps every row, column, index, foreign key and STRICT of the tables it rebuilds, and the rows of their children', () => {
    const db = databaseAt0012();
    const rowsBefore = everyRow(db);
    const shapesBefore = Object.fromEntries(REBUILT.map((table) => [table, shapeOf(db, table)]));

    // Later migrations may change these tables again: this test is about 0013 alone.
    const upTo0013 = join(dir, 'up-to-0013');
    mkdirSync(upTo0013);
    for (const file of readdirSync(migrationsDir).filter((name) => /^00(0\d|1[0-3])_/.test(name)))
      copyFileSync(join(migrationsDir, file), join(upTo0013, file));
    expect(applyMigrations(db, upTo0013).applied).toEqual(['0013_store_names_checked_by_the_registry.sql']);

    expect(everyRow(db)).toEqual(rowsBefore);
    expect(Object.fromEntries(REBUILT.map((table) => [table, shapeOf(db, table)]))).toEqual(shapesBefore);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    // The same schema as a database made at 0013 from nothing.
    const fresh = new Database(':memory:');
    applyMigrations(fresh, upTo0013);
    for (const table of REBUILT) expect(shapeOf(db, table)).toEqual(shapeOf(fresh, table));
    fresh.close();
    db.close();
  });

  it('drops only the provider constraints: a store the catalog knows is accepted, every other constraint still holds', () => {
    const db = databaseAt0012();
    const at = '2030-01-02T03:04:05.000Z';
    const insert = (provider: string, lifecycle = 'active') =>
      db
        .prepare(
          `INSERT INTO secrets (name, environment, service, credential_type, type, provider, interval_days, next_rotation, lifecycle, created_at, updated_at) VALUES (?, 'prod', 'gsm', 'key', 'generic', ?, 30, '2030-02-01', ?, ?, ?)`,
        )
        .run(`prod/gsm/${provider}-${lifecycle}`, provider, lifecycle, at, at);
    expect(() => insert('google_secret_manager')).toThrow(/CHECK constraint failed/);

    applyMigrations(db);

    expect(() => insert('google_secret_manager')).not.toThrow();
    expect(() => insert('google_secret_manager', 'forgotten')).toThrow(/CHECK constraint failed/);
    expect(() => db.prepare(`UPDATE rotations SET state = 'paused'`).run()).toThrow(/CHECK constraint failed/);
    expect(() =>
      db
        .prepare(
          `INSERT INTO rotation_steps (rotation_id, position, step_id, title, required, state) VALUES (999, 1, 'x', 'x', 1, 'pending')`,
        )
        .run(),
    ).toThrow(/FOREIGN KEY constraint failed/);
    // A second open rotation of one secret is still refused by its unique index.
    const open = db.prepare(`SELECT * FROM rotations`).get() as Record<string, unknown>;
    expect(() =>
      db
        .prepare(
          `INSERT INTO rotations (secret_id, secret_name, kind, state, environment, provider, checklist_source, started_by, started_at, held_by, updated_at, previous_next_rotation, previous_lifecycle) VALUES (?, ?, 'scheduled', 'awaiting_approval', 'prod', 'aws', '{}', 'U0X', ?, 'U0X', ?, '2030-04-02', 'active')`,
        )
        .run(open.secret_id, open.secret_name, at, at),
    ).toThrow(/UNIQUE constraint failed/);
    db.close();
  });
});
