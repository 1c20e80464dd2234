import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { RotorError } from '../core/errors.js';
import { applyMigrations } from './migrate.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the SQLite file, sets the pragmas every connection needs and
 * brings the schema up to date. WAL lets the CLI read while the bot writes; the busy
 * timeout lets two writers (two sweeps, the CLI and the bot) wait for each other instead
 * of failing.
 */
export function openDatabase(path: string, options: { migrate?: boolean; readonly?: boolean } = {}): Db {
  if (path !== ':memory:' && !options.readonly) mkdirSync(dirname(path), { recursive: true });
  let db: Db;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (cause) {
    throw new RotorError('database', `Cannot open the database at ${path}: ${(cause as Error).message}. Check ROTOR_DB.`, { cause });
  }
  try {
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    // 64 MiB of page cache: bulk imports update several indexes per row, and misses dominate otherwise.
    db.pragma('cache_size = -65536');
    if (options.migrate ?? true) applyMigrations(db);
  } catch (cause) {
    db.close();
    if (cause instanceof RotorError) throw cause;
    const code = (cause as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new RotorError('database', `${path} is not a SQLite database. Point ROTOR_DB at Rotor's database file (or a new path to create one).`, { cause });
    }
    throw new RotorError('database', `Cannot prepare the database at ${path}: ${(cause as Error).message}`, { cause });
  }
  return db;
}

/** Runs `work` in a write transaction taken up front, so concurrent writers queue rather than deadlock. */
export function inWriteTransaction<T>(db: Db, work: () => T): T {
  return db.transaction(work).immediate();
}
