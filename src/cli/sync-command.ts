import { Option, type Command } from 'commander';
import { DeadlineExceededError } from '../core/deadline.js';
import { RotorError } from '../core/errors.js';
import { BUILT_IN_STORES } from '../providers/store-catalog.js';
import type { SyncReport } from '../providers/sync-service.js';
import { renderSyncReport } from '../providers/sync-report.js';
import type { CliContext } from './cli-context.js';
import { wholeNumber } from './cli-options.js';

/**
 * `rotor sync [--provider <store>] [--dry-run] [--json] [--deadline SECONDS]`: records
 * rotations done outside Rotor and reports references that no longer resolve and drift. Exits
 * non-zero when a secret could not be checked or no longer resolves, so cron and CI notice; at
 * the deadline it stops, prints what it did and what it left, and exits non-zero too.
 */
export function registerSyncCommand(program: Command, context: CliContext): void {
  program
    .command('sync')
    .description('Pick up rotations done outside Rotor and report broken references and drift')
    .addOption(
      new Option('--provider <provider>', 'only secrets of this provider').choices(
        BUILT_IN_STORES.kinds.filter((store) => !store.capabilities.byHand).map((store) => store.kind),
      ),
    )
    .option('--dry-run', 'show what would be recorded without writing anything', false)
    .option('--json', 'print the report as JSON', false)
    .option('--deadline <seconds>', 'stop after this many seconds (default: $ROTOR_RUN_DEADLINE_SECONDS or 600)', wholeNumber(1))
    .action(async (options: { provider?: string; dryRun: boolean; json: boolean; deadline?: number }) => {
      const { providers } = context.runtime();
      const print = (report: SyncReport) => (options.json ? context.printJson(report) : context.print(renderSyncReport(report).join('\n')));
      let report: SyncReport;
      try {
        report = await providers.sync.run({
          provider: options.provider,
          dryRun: options.dryRun,
          actor: context.actor,
          deadlineSeconds: options.deadline ?? context.env.ROTOR_RUN_DEADLINE_SECONDS,
        });
      } catch (error) {
        if (error instanceof DeadlineExceededError) print(error.partial as SyncReport);
        throw error;
      }
      print(report);
      const broken = report.unresolved.length + report.failures.length;
      if (broken > 0)
        throw new RotorError('provider', `${broken} secret${broken === 1 ? '' : 's'} could not be synced; see the report above.`);
    });
}
