import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { verifyAuditChain, type ChainReport } from '../audit/audit-log.js';
import type { HmacKeyring } from '../core/hmac-keyring.js';
import { RotorError } from '../core/errors.js';
import { openDatabase } from '../storage/database.js';
import { applyMigrations, pendingMigrations } from '../storage/migrate.js';
import type { CliContext } from './cli-context.js';

export function registerDatabaseCommands(program: Command, context: CliContext): void {
  program
    .command('migrate')
    .description('Create the database or bring its schema up to date')
    .option('--dry-run', 'list the migrations it would apply; change and create nothing')
    .option('--json', 'print JSON')
    .action((options: { dryRun?: boolean; json?: boolean }) => {
      const path = context.databasePath;
      if (options.dryRun) {
        // A database that does not exist yet is not created by a dry run: everything is pending.
        const db = path === ':memory:' || existsSync(path) ? openDatabase(path, { migrate: false, readonly: path !== ':memory:' }) : null;
        try {
          const pending = pendingMigrations(db).map((migration) => migration.name);
          if (options.json) context.printJson({ database: path, dryRun: true, pending });
          else
            context.print(
              pending.length > 0
                ? `Would apply ${pending.join(', ')} (dry run: nothing changed).`
                : `Database ${path} is up to date (dry run: nothing changed).`,
            );
        } finally {
          db?.close();
        }
        return;
      }
      // Opened without the usual migrate-on-open, so the operator is told what this run applied.
      const db = openDatabase(path, { migrate: false });
      try {
        const { applied } = applyMigrations(db);
        const version = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v;
        if (options.json) context.printJson({ database: path, applied, version });
        else
          context.print(
            applied.length > 0 ? `Applied ${applied.join(', ')}.` : `Database ${path} is up to date (schema version ${version}).`,
          );
      } finally {
        db.close();
      }
    });

  program
    .command('backup')
    .description('Copy the database with SQLite online backup; safe while the bot runs')
    .argument('<file>', 'where to write the copy (must not exist)')
    .option('--json', 'print JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const target = resolve(file);
      if (existsSync(target))
        throw new RotorError('validation', `${file} already exists; choose a new file name so no backup is overwritten.`);
      if (!existsSync(dirname(target)))
        throw new RotorError(
          'validation',
          `The folder ${dirname(target)} does not exist; create it first (mkdir -p) or choose another path for the backup.`,
        );
      if (target === resolve(context.databasePath))
        throw new RotorError('validation', 'The backup file must differ from the database itself.');
      const { db } = context.open();
      // Written under a temporary name beside the target and renamed only once the copy checks
      // out, so a backup cut off part-way never leaves a file by the name a restore would use.
      const partial = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.partial`);
      closeSync(openSync(partial, 'wx', 0o600));
      let report: ChainReport;
      try {
        await db.backup(partial);
        report = checkCopy(partial, context.auditKeys);
        if (existsSync(target))
          throw new RotorError('validation', `${file} appeared while the backup ran; choose a new file name so no backup is overwritten.`);
        renameSync(partial, target);
      } finally {
        for (const leftover of [partial, `${partial}-journal`, `${partial}-wal`, `${partial}-shm`]) rmSync(leftover, { force: true });
      }
      const head = report.head ? `, audit head #${report.head.seq} ${report.head.hash}` : '';
      const macs = report.unchecked > 0 ? ' (links only: ROTOR_AUDIT_KEY is not set, so the MACs were not checked)' : '';
      if (options.json)
        context.printJson({
          database: context.databasePath,
          backup: target,
          integrity: 'ok',
          auditEvents: report.events,
          auditHead: report.head,
          macsChecked: report.unchecked === 0,
        });
      else
        context.print(
          `Backed up ${context.databasePath} to ${file}: integrity ok, audit chain of ${report.events} events verified${macs}${head}.`,
        );
    });
}

/**
 * The copy must open, pass SQLite's integrity check and hold an unbroken audit chain. It is
 * turned into a single self-contained file first (no WAL beside it to lose in a copy or a move).
 */
function checkCopy(path: string, keys: HmacKeyring | null): ChainReport {
  const copy = new Database(path, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    const integrity = copy.pragma('integrity_check') as { integrity_check: string }[];
    if (integrity.length !== 1 || integrity[0]?.integrity_check !== 'ok') {
      throw new RotorError(
        'database',
        `The backup failed SQLite's integrity check (${integrity
          .map((row) => row.integrity_check)
          .slice(0, 3)
          .join('; ')}); nothing was kept. Check the disk, then try again.`,
      );
    }
    const report = verifyAuditChain(copy, { keys, withoutKey: 'links' });
    if (report.firstBreak) {
      throw new RotorError(
        'database',
        `The backup's audit log is broken at event #${report.firstBreak.seq}: ${report.firstBreak.reason}. Nothing was kept: the database itself is affected; run \`rotor audit verify\` and investigate before backing it up.`,
      );
    }
    return report;
  } finally {
    copy.close();
  }
}
