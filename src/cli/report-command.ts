import type { Command } from 'commander';
import { describeDifference } from '../audit/chain-difference.js';
import { RotorError } from '../core/errors.js';
import { REPORT_FORMATS, type ReportFormat } from '../rotation/history/rotation-report.js';
import { renderRotationReportCsv, renderRotationReportMarkdown } from '../rotation/history/rotation-report-text.js';
import type { CliContext } from './cli-context.js';

function isReportFormat(format: string): format is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(format);
}

/** `rotor report rotations --since DATE --until DATE [--format md|csv]`: the auditor's population. */
export function registerReportCommand(program: Command, context: CliContext): void {
  const report = program.command('report').description('Reports for auditors');

  report
    .command('rotations')
    .description('Every secret in a period: its interval, each rotation (date, who, ticket, approvals), on time or late, and missed ones')
    .option('--since <date>', 'first day of the period (YYYY-MM-DD, UTC, included)')
    .option('--until <date>', 'last day of the period (YYYY-MM-DD, UTC, included)')
    .option('--format <format>', 'md (Markdown, the default) or csv')
    .option('--json', 'print the report as JSON')
    .action((options: { since?: string; until?: string; format?: string; json?: boolean }) => {
      if (options.since === undefined || options.until === undefined) {
        throw new RotorError(
          'validation',
          'The report needs its period: add --since YYYY-MM-DD --until YYYY-MM-DD (both days included, in UTC), e.g. --since 2027-01-01 --until 2027-03-31.',
        );
      }
      const format = options.format ?? 'md';
      if (!isReportFormat(format))
        throw new RotorError(
          'validation',
          `--format ${format} is not a report format; use --format md (Markdown, the default) or --format csv.`,
        );
      if (options.json && options.format !== undefined)
        throw new RotorError('validation', `--json and --format ${format} both choose the output; give one of them.`);
      const result = context.runtime().rotationHistory.report({ since: options.since, until: options.until });
      if (options.json) context.printJson(result);
      else context.io.stdout(format === 'csv' ? renderRotationReportCsv(result) : renderRotationReportMarkdown(result));
      // The Markdown and JSON carry the differences; a CSV has no place for them, so they are said beside it.
      const { differences } = result.chainCheck;
      if (format === 'csv' && !options.json && differences.length > 0) {
        context.io.stderr(
          `rotor: warning: the tables differ from the audit chain in ${differences.length} place${differences.length === 1 ? '' : 's'}; the report shows the chain's side:\n${differences.map((difference) => `  - ${describeDifference(difference)}\n`).join('')}`,
        );
      }
    });
}
