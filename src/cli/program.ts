import { Command, CommanderError, type OutputConfiguration } from 'commander';
import { describeError, isRotorError } from '../core/errors.js';
import { CLI_NEXT_STEP_WORDS } from './cli-next-step.js';
import { registerAuditCommand } from './audit-command.js';
import { registerCalendarCommand } from './calendar-command.js';
import { CliContext, type CliIo } from './cli-context.js';
import { registerDatabaseCommands } from './database-commands.js';
import { registerDiscoverCommand } from './discover-command.js';
import { registerEvidenceCommand } from './evidence-command.js';
import { registerImportExportCommands } from './import-export-commands.js';
import { registerIncidentsCommand } from './incidents-command.js';
import { registerInventoryCommands } from './inventory-commands.js';
import { registerKmsCommand } from './kms-command.js';
import { registerReleaseCommand } from './release-command.js';
import { registerRemindersCommand } from './reminders-command.js';
import { registerReportCommand } from './report-command.js';
import { registerReviewsCommand } from './reviews-command.js';
import { registerRotationsCommand } from './rotations-command.js';
import { registerSyncCommand } from './sync-command.js';
import { terminalSafe } from './terminal-safe.js';

export function buildProgram(context: CliContext): Command {
  const output: OutputConfiguration = {
    writeOut: (text: string) => context.io.stdout(text),
    writeErr: (text: string) => context.io.stderr(text),
    // Commander's own errors ("error: unknown option …") in the style of every other failure.
    outputError: (text: string, write: (text: string) => void) => write(`rotor: ${text.replace(/^error: /, '')}`),
  };
  const program = new Command('rotor')
    .description('Rotor: the inventory, schedule and audit log behind the secrets-rotation Slack bot')
    .option('--db <path>', 'database file (default: $ROTOR_DB or ./data/rotor.db)')
    .option('--config <path>', 'policy file (default: $ROTOR_CONFIG)')
    .configureOutput(output);
  registerDatabaseCommands(program, context);
  registerImportExportCommands(program, context);
  registerInventoryCommands(program, context);
  registerAuditCommand(program, context);
  registerRemindersCommand(program, context);
  registerCalendarCommand(program, context);
  registerSyncCommand(program, context);
  registerDiscoverCommand(program, context);
  registerRotationsCommand(program, context);
  registerIncidentsCommand(program, context);
  registerReportCommand(program, context);
  registerReviewsCommand(program, context);
  registerEvidenceCommand(program, context);
  registerReleaseCommand(program, context);
  registerKmsCommand(program, context);
  configureAll(program, output);
  return program;
}

/** Every command answers a usage error with what to type to see what it accepts. */
function configureAll(command: Command, output: OutputConfiguration): void {
  const path: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) path.unshift(at.name());
  command
    .exitOverride()
    .configureOutput(output)
    .showHelpAfterError(`Type \`${path.join(' ')} --help\` to see what it accepts.`);
  for (const child of command.commands) configureAll(child, output);
}

/**
 * Runs the CLI and returns its exit code: 0 ok, 1 runtime failure, 2 usage or validation
 * error, 3 a check found a secret overdue (`rotor overdue --fail-if-any`, `rotor release check`). Every failure ends with a message on stderr saying what to do. Whatever it writes is
 * first made terminal-safe (terminal-safe.ts).
 */
export async function runCli(argv: readonly string[], unsafeIo: CliIo): Promise<number> {
  const io: CliIo = {
    ...unsafeIo,
    stdout: (text) => unsafeIo.stdout(terminalSafe(text)),
    stderr: (text) => unsafeIo.stderr(terminalSafe(text)),
  };
  let program: Command | undefined;
  const context = new CliContext(io, () => program?.opts<{ db?: string; config?: string }>() ?? {});
  program = buildProgram(context);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    io.stderr(`rotor: ${describeError(error, CLI_NEXT_STEP_WORDS)}\n`);
    return isRotorError(error) ? error.exitCode : 1;
  } finally {
    context.close();
  }
}
