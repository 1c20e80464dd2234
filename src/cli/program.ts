import { Command, CommanderError } from 'commander';
import { describeError, isRotorError } from '../core/errors.js';
import { registerAuditCommand } from './audit-command.js';
import { registerCalendarCommand } from './calendar-command.js';
import { CliContext, type CliIo } from './cli-context.js';
import { registerDatabaseCommands } from './database-commands.js';
import { registerDiscoverCommand } from './discover-command.js';
import { registerImportExportCommands } from './import-export-commands.js';
import { registerInventoryCommands } from './inventory-commands.js';
import { registerRemindersCommand } from './reminders-command.js';
import { registerReportCommand } from './report-command.js';
import { registerRotationsCommand } from './rotations-command.js';
import { registerSyncCommand } from './sync-command.js';

export function buildProgram(context: CliContext): Command {
  const program = new Command('rotor')
    .description('Rotor: the inventory, schedule and audit log behind the secrets-rotation Slack bot')
    .option('--db <path>', 'database file (default: $ROTOR_DB or ./data/rotor.db)')
    .option('--config <path>', 'policy file (default: $ROTOR_CONFIG)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => context.io.stdout(text), writeErr: (text) => context.io.stderr(text) });
  registerDatabaseCommands(program, context);
  registerImportExportCommands(program, context);
  registerInventoryCommands(program, context);
  registerAuditCommand(program, context);
  registerRemindersCommand(program, context);
  registerCalendarCommand(program, context);
  registerSyncCommand(program, context);
  registerDiscoverCommand(program, context);
  registerRotationsCommand(program, context);
  registerReportCommand(program, context);
  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/**
 * Runs the CLI and returns its exit code: 0 ok, 1 runtime failure, 2 usage or validation
 * error. Every failure ends with a message on stderr saying what to do.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let program: Command | undefined;
  const context = new CliContext(io, () => program?.opts<{ db?: string; config?: string }>() ?? {});
  program = buildProgram(context);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    io.stderr(`rotor: ${describeError(error)}\n`);
    return isRotorError(error) ? error.exitCode : 1;
  } finally {
    context.close();
  }
}
