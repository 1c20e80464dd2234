import { Option, type Command } from 'commander';
import { basename } from 'node:path';
import { describeError, ValidationError } from '../core/errors.js';
import { EXPORT_FORMATS, exportInventory, type ExportFormat } from '../import-export/export-inventory.js';
import { importFile, type ImportReport } from '../import-export/import-service.js';
import type { CliContext } from './cli-context.js';

function describeReport(report: ImportReport): string {
  const count = (kind: string) => report.changes.filter((change) => change.kind === kind).length;
  const verb = report.written ? ['Added', 'changed', 'left'] : ['Would add', 'change', 'leave'];
  const lines = [`${verb[0]} ${count('add')}, ${verb[1]} ${count('change')}, ${verb[2]} ${count('unchanged')} unchanged${report.written ? '.' : ' (dry run: nothing written).'}`];
  for (const change of report.changes) {
    if (change.kind === 'add') lines.push(`  + ${change.name}`);
    if (change.kind === 'change') {
      const fields = Object.entries(change.changes).map(([field, { from, to }]) => `${field} ${JSON.stringify(from)} → ${JSON.stringify(to)}`);
      lines.push(`  ~ ${change.name}: ${fields.join('; ')}`);
    }
  }
  return lines.join('\n');
}

export function registerImportExportCommands(program: Command, context: CliContext): void {
  program
    .command('import')
    .description('Import secrets from YAML, JSON, CSV or Markdown tables; all rows valid or nothing is written')
    .argument('<file>', 'a .yaml, .yml, .json, .csv, .md or .markdown file')
    .option('--dry-run', 'show what would be added, changed and left alone; write nothing')
    .option('--partial', 'import the valid rows even when others are invalid')
    .action((file: string, options: { dryRun?: boolean; partial?: boolean }) => {
      const services = context.open(undefined, { ifMissing: options.dryRun ? 'empty' : 'create' });
      const report = importFile(file, services, { dryRun: options.dryRun, partial: options.partial, actor: context.actor, source: `import:${basename(file)}` });
      if (report.rejected.length > 0) {
        const rows = `${report.rejectedRows} invalid row${report.rejectedRows === 1 ? '' : 's'}`;
        context.io.stderr(`${describeError(new ValidationError(`${report.written ? 'Left out' : 'Would leave out'} ${rows}:`, report.rejected))}\n`);
      }
      context.print(describeReport(report));
    });

  program
    .command('export')
    .description('Export the inventory in a format `rotor import` reads back')
    .addOption(new Option('--format <format>', 'output format').choices([...EXPORT_FORMATS]).default('yaml'))
    .action((options: { format: ExportFormat }) => {
      context.io.stdout(exportInventory(context.open().inventory, options.format));
    });
}
