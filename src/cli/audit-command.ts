import { Option, type Command } from 'commander';
import { DateTime } from 'luxon';
import { AUDIT_EXPORT_FORMATS, formatAuditEvents, type AuditExportFormat } from '../audit/audit-export.js';
import { listAuditEvents, verifyAuditChain } from '../audit/audit-log.js';
import { RotorError } from '../core/errors.js';
import type { CliContext } from './cli-context.js';

/** A date bound: a bare date means its whole UTC day (inclusive for --until). */
function bound(text: string | undefined, option: string, endOfDay: boolean): string | undefined {
  if (text === undefined) return undefined;
  const parsed = DateTime.fromISO(text, { zone: 'utc' });
  if (!parsed.isValid) throw new RotorError('validation', `${option} ${text} is not a date; write it as YYYY-MM-DD or an ISO time.`);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  return (dateOnly && endOfDay ? parsed.plus({ days: 1 }) : parsed).toUTC().toISO() as string;
}

export function registerAuditCommand(program: Command, context: CliContext): void {
  const audit = program.command('audit').description('Verify and export the hash-chained audit log');

  audit
    .command('verify')
    .description('Check every event against its hash and its link to the one before; exit 1 at the first break')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const { firstBreak, events } = verifyAuditChain(context.open().db);
      if (firstBreak) {
        if (options.json) context.printJson({ intact: false, events, firstBreak });
        throw new RotorError('database', `Audit log broken at event #${firstBreak.seq}: ${firstBreak.reason}. Restore the database from a backup and investigate who changed it.`);
      }
      if (options.json) context.printJson({ intact: true, events });
      else context.print(`Audit log intact: ${events} events, every hash and link verified.`);
    });

  audit
    .command('export')
    .description('Export audit events in a date range as evidence')
    .option('--since <date>', 'from this date or time (inclusive)')
    .option('--until <date>', 'up to this date (inclusive) or time (exclusive)')
    .addOption(new Option('--format <format>', 'output format').choices([...AUDIT_EXPORT_FORMATS]).default('jsonl'))
    .action((options: { since?: string; until?: string; format: AuditExportFormat }) => {
      const since = bound(options.since, '--since', false);
      const until = bound(options.until, '--until', true);
      if (since && until && since >= until) throw new RotorError('validation', `--since ${options.since} is not before --until ${options.until}.`);
      for (const chunk of formatAuditEvents(listAuditEvents(context.open().db, { since, until }), options.format)) context.io.stdout(chunk);
    });
}
