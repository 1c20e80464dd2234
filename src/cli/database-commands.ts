import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
          else context.print(pending.length > 0 ? `Would apply ${pending.join(', ')} (dry run: nothing changed).` : `Database ${path} is up to date (dry run: nothing changed).`);
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
        else context.print(applied.length > 0 ? `Applied ${applied.join(', ')}.` : `Database ${path} is up to date (schema version ${version}).`);
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
      if (existsSync(target)) throw new RotorError('validation', `${file} already exists; choose a new file name so no backup is overwritten.`);
      if (!existsSync(dirname(target))) throw new RotorError('validation', `The folder ${dirname(target)} does not exist; create it first (mkdir -p) or choose another path for the backup.`);
      if (target === resolve(context.databasePath)) throw new RotorError('validation', 'The backup file must differ from the database itself.');
      const { db } = context.open();
      await db.backup(target);
      if (options.json) context.printJson({ database: context.databasePath, backup: target });
      else context.print(`Backed up ${context.databasePath} to ${file}.`);
    });
}
