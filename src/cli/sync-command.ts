import { Option, type Command } from 'commander';
import { RotorError } from '../core/errors.js';
import { renderSyncReport } from '../providers/sync-report.js';
import type { CliContext } from './cli-context.js';

/**
 * `rotor sync [--provider aws|vault] [--dry-run] [--json]`: records rotations done outside
 * Rotor and reports references that no longer resolve and drift. Exits non-zero when a
 * secret could not be checked or no longer resolves, so cron and CI notice.
 */
export function registerSyncCommand(program: Command, context: CliContext): void {
  program
    .command('sync')
    .description('Pick up rotations done outside Rotor and report broken references and drift')
    .addOption(new Option('--provider <provider>', 'only secrets of this provider').choices(['aws', 'vault']))
    .option('--dry-run', 'show what would be recorded without writing anything', false)
    .option('--json', 'print the report as JSON', false)
    .action(async (options: { provider?: 'aws' | 'vault'; dryRun: boolean; json: boolean }) => {
      const { providers } = context.runtime();
      const report = await providers.sync.run({ provider: options.provider, dryRun: options.dryRun, actor: context.actor });
      if (options.json) context.printJson(report);
      else context.print(renderSyncReport(report).join('\n'));
      const broken = report.unresolved.length + report.failures.length;
      if (broken > 0) throw new RotorError('provider', `${broken} secret${broken === 1 ? '' : 's'} could not be synced; see the report above.`);
    });
}
