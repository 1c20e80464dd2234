import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { RotorError } from '../core/errors.js';
import { applyMigrations, refuseForeignFile } from './migrate.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the SQLite file, sets the pragmas every connection needs and
 * brings the schema up to date. WAL lets the CLI read while the bot writes; the busy
 * timeout lets two writers (two sweeps, the CLI and the bot) wait for each other instead
 * of failing.
 */
export function openDatabase(path: string, options: { migrate?: boolean; readonly?: boolean; cacheMiB?: number } = {}): Db {
  if (path !== ':memory:' && !options.readonly) createPrivately(path);
  let db: Db;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (cause) {
    throw new RotorError('database', `Cannot open the database at ${path}: ${(cause as Error).message}. Check ROTOR_DB.`, { cause });
  }
  try {
    if (!options.readonly) {
      refuseForeignFile(db);
      db.pragma('journal_mode = WAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    // 64 MiB of page cache by default: bulk imports update several indexes per row, and misses
    // dominate otherwise. The long-running bot asks for less (see main.ts).
    db.pragma(`cache_size = -${Math.round((options.cacheMiB ?? 64) * 1024)}`);
    if (options.migrate ?? true) applyMigrations(db);
  } catch (cause) {
    db.close();
    if (cause instanceof RotorError) throw cause;
    const code = (cause as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new RotorError(
        'database',
        `${path} is not a SQLite database. Point ROTOR_DB at Rotor's database file (or a new path to create one).`,
        { cause },
      );
    }
    throw new RotorError('database', `Cannot prepare the database at ${path}: ${(cause as Error).message}`, { cause });
  }
  return db;
}

/**
 * The data folder (0700) and the database file (0600) are made before SQLite opens the file, so
 * no other user can read them; SQLite gives the WAL and shared-memory files the database's mode.
 * Existing files keep the permissions their owner chose.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new RotorError('database', `Cannot create the database at ${path}: ${(error as Error).message}. Check ROTOR_DB.`, {
        cause: error,
      });
  }
}

/**
 * For commands that only read or act on an existing inventory: the file must be Rotor's. An
 * empty file (a copy or backup cut off part-way) or a SQLite file without Rotor's schema is
 * refused, where opening it normally would migrate it into an empty inventory that then
 * answers "No secrets." and passes `audit verify`.
 */
export function assertRotorDatabase(path: string): void {
  if (statSync(path).size === 0) {
    throw new RotorError(
      'validation',
      `${path} is an empty file (0 bytes), not a Rotor database: perhaps a copy or backup that was cut off. Point ROTOR_DB (or --db) at Rotor's database, or create a new one with \`rotor migrate\`.`,
    );
  }
  let db: Db | undefined;
  let hasSchema: boolean;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    hasSchema = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new RotorError(
        'database',
        `${path} is not a SQLite database. Point ROTOR_DB at Rotor's database file (or a new path to create one).`,
        { cause },
      );
    }
    throw new RotorError('database', `Cannot open the database at ${path}: ${(cause as Error).message}. Check ROTOR_DB.`, { cause });
  } finally {
    db?.close();
  }
  if (!hasSchema) {
    throw new RotorError(
      'validation',
      `${path} holds no Rotor schema: it is an empty SQLite file or another program's. Point ROTOR_DB (or --db) at Rotor's database, or set this one up with \`rotor migrate\`.`,
    );
  }
}

/** Work to run once the outermost write transaction it was registered in has committed. */
type AfterCommit = () => void;

/** One frame per open `inWriteTransaction` on a connection, innermost last. */
const openTransactions = new WeakMap<Db, AfterCommit[][]>();

/**
 * Runs `work` in a write transaction taken up front, so concurrent writers queue rather than
 * deadlock. Called inside another, it becomes a savepoint: what it registered with `afterCommit`
 * moves to the enclosing frame when it succeeds and is dropped when it rolls back, so nothing
 * leaves the process for a change the database never kept.
 */
export function inWriteTransaction<T>(db: Db, work: () => T): T {
  let stack = openTransactions.get(db);
  if (!stack) {
    stack = [];
    openTransactions.set(db, stack);
  }
  if (stack.length === 0 && db.inTransaction) {
    throw new RotorError('internal', 'A write transaction was opened outside inWriteTransaction; its commit could not be observed.');
  }
  const frame: AfterCommit[] = [];
  stack.push(frame);
  let result: T;
  try {
    result = db.transaction(work).immediate();
  } finally {
    stack.pop();
  }
  const parent = stack[stack.length - 1];
  if (parent) parent.push(...frame);
  else for (const callback of frame) callback();
  return result;
}

/**
 * Runs `callback` after the outermost write transaction open on `db` commits (at once when none
 * is open); a rollback anywhere on the way out discards it.
 */
export function afterCommit(db: Db, callback: AfterCommit): void {
  const stack = openTransactions.get(db);
  const frame = stack?.[stack.length - 1];
  if (frame) frame.push(callback);
  else callback();
}
