import { Option, type Command } from 'commander';
import { basename } from 'node:path';
import { describeError, ValidationError } from '../core/errors.js';
import { EXPORT_FORMATS, exportInventory, type ExportFormat } from '../import-export/export-inventory.js';
import { importFile, type ImportReport } from '../import-export/import-service.js';
import type { CliContext } from './cli-context.js';
import { capIssues, capLines, OUTPUT_LINES } from './cli-output.js';

function describeReport(report: ImportReport, verbose: boolean | undefined): string {
  const count = (kind: string) => report.changes.filter((change) => change.kind === kind).length;
  const verb = report.written ? ['Added', 'changed', 'left'] : ['Would add', 'change', 'leave'];
  const lines: string[] = [];
  for (const change of report.changes) {
    if (change.kind === 'add') lines.push(`  + ${change.name}`);
    if (change.kind === 'change') {
      const fields = Object.entries(change.changes).map(
        ([field, { from, to }]) => `${field} ${JSON.stringify(from)} → ${JSON.stringify(to)}`,
      );
      lines.push(`  ~ ${change.name}: ${fields.join('; ')}`);
    }
  }
  const summary = `${verb[0]} ${count('add')}, ${verb[1]} ${count('change')}, ${verb[2]} ${count('unchanged')} unchanged${report.written ? '.' : ' (dry run: nothing written).'}`;
  return [summary, ...capLines(lines, verbose, 'secrets')].join('\n');
}

/** The report as scripts read it: counts, every change and every problem. */
function reportJson(report: ImportReport) {
  const count = (kind: string) => report.changes.filter((change) => change.kind === kind).length;
  return {
    written: report.written,
    added: count('add'),
    changed: count('change'),
    unchanged: count('unchanged'),
    changes: report.changes
      .filter((change) => change.kind !== 'unchanged')
      .map((change) => ({ name: change.name, kind: change.kind, changes: change.changes })),
    rejectedRows: report.rejectedRows,
    rejected: report.rejected,
    warnings: report.warnings,
    unlisted: report.unlisted,
  };
}

export function registerImportExportCommands(program: Command, context: CliContext): void {
  program
    .command('import')
    .description('Import secrets from YAML, JSON, CSV/TSV or Markdown tables; all rows valid or nothing is written')
    .argument('<file>', 'a .yaml, .yml, .json, .csv, .tsv, .md or .markdown file')
    .option('--dry-run', 'show what would be added, changed and left alone; write nothing')
    .option('--partial', 'import the valid rows even when others are invalid (unusable owner cells become warnings)')
    .option('--verbose', `list every change and problem (default: the first ${OUTPUT_LINES} of each)`)
    .option('--json', 'print the report as JSON')
    .action((file: string, options: { dryRun?: boolean; partial?: boolean; verbose?: boolean; json?: boolean }) => {
      const services = context.open(undefined, { ifMissing: options.dryRun ? 'empty' : 'create' });
      let report: ImportReport;
      try {
        report = importFile(file, services, {
          dryRun: options.dryRun,
          partial: options.partial,
          actor: context.actor,
          source: `import:${basename(file)}`,
        });
      } catch (error) {
        throw error instanceof ValidationError ? capIssues(error, options.verbose || options.json) : error;
      }
      if (options.json) {
        context.printJson(reportJson(report));
        return;
      }
      if (report.rejected.length > 0) {
        const rows = `${report.rejectedRows} invalid row${report.rejectedRows === 1 ? '' : 's'}`;
        context.io.stderr(
          `rotor: ${describeError(capIssues(new ValidationError(`${report.written ? 'Left out' : 'Would leave out'} ${rows}:`, report.rejected), options.verbose))}\n`,
        );
      }
      if (report.warnings.length > 0) {
        const count = `${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}`;
        context.io.stderr(
          `rotor: ${describeError(capIssues(new ValidationError(`${count}; these rows ${report.written ? 'were' : 'would be'} imported without the field:`, report.warnings), options.verbose))}\n`,
        );
      }
      context.print(describeReport(report, options.verbose));
    });

  program
    .command('export')
    .description('Export the inventory in a format `rotor import` reads back')
    .addOption(new Option('--format <format>', 'output format').choices([...EXPORT_FORMATS]).default('yaml'))
    .action((options: { format: ExportFormat }) => {
      context.io.stdout(exportInventory(context.open().inventory, options.format));
    });
}
