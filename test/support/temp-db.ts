import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A real SQLite file in a fresh temp folder, migrated with the real migrations. */
export function openTempStore(options: { at?: string; policy?: Policy } = {}): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'rotor-test-'));
  const path = join(dir, 'rotor.db');
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
