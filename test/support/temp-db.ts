import { constants, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { defaultPolicy, type Policy } from '../../src/config/policy.js';
import { FixedClock } from '../../src/core/clock.js';
import { createServices, type Services } from '../../src/services.js';
import { openDatabase } from '../../src/storage/database.js';

export interface TempStore extends Services {
  dir: string;
  path: string;
  clock: FixedClock;
  close(): void;
}

let template: string | undefined;

/**
 * This worker's database file, migrated with the real migrations once: each store starts as a copy
 * of it (migrating afresh took ~140 ms and ~45 ms of CPU, a few hundred times a run). It lives in
 * the run's directory (test/support/moto-workers.ts), which the global teardown removes.
 */
function migratedTemplate(): string {
  if (template && existsSync(template)) return template;
  const runDirectory = inject('motoWorkersDirectory');
  const path = join(mkdtempSync(join(runDirectory ?? tmpdir(), `rotor-db-template-${process.env.VITEST_POOL_ID ?? '0'}-`)), 'rotor.db');
  const db = openDatabase(path);
  // Everything in the file itself, nothing left in the WAL, so a copy of the file is the whole database.
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  template = path;
  return path;
}

/** A real SQLite file in a fresh temp folder, migrated with the real migrations (a copy of this worker's migrated file). */
export function openTempStore(options: { at?: string; policy?: Policy } = {}): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'rotor-test-'));
  const path = join(dir, 'rotor.db');
  copyFileSync(migratedTemplate(), path, constants.COPYFILE_EXCL);
  const db = openDatabase(path);
  const clock = new FixedClock(options.at ?? '2026-11-22T10:00:00Z');
  const services = createServices(db, clock, options.policy ?? defaultPolicy);
  return {
    ...services,
    clock,
    dir,
    path,
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every row of the tables a bad input must leave alone, for before/after comparison. */
export function snapshotTables(store: Services, tables: readonly string[] = ['secrets', 'audit_events']): Record<string, unknown[]> {
  return Object.fromEntries(tables.map((table) => [table, store.db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all()]));
}
