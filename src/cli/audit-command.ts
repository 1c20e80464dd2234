import { Option, type Command } from 'commander';
import { DateTime } from 'luxon';
import { AUDIT_EXPORT_FORMATS, formatAuditEvents, type AuditExportFormat } from '../audit/audit-export.js';
import { listAuditEvents, verifyAuditChain, type ChainBreak, type ChainReport } from '../audit/audit-log.js';
import { AuditTrailRepo } from '../audit/audit-trail-repo.js';
import { verifyTablesAgainstChain, type DeepReport } from '../audit/chain-checks.js';
import { describeDifference } from '../audit/chain-difference.js';
import { RotorError, ValidationError } from '../core/errors.js';
import { IncidentRepo } from '../revocation/incident-repo.js';
import { RotationRepo } from '../rotation/rotation-repo.js';
import type { CliContext } from './cli-context.js';

/** A date bound: a bare date means its whole UTC day (inclusive for --until). */
function bound(text: string | undefined, option: string, endOfDay: boolean): string | undefined {
  if (text === undefined) return undefined;
  const parsed = DateTime.fromISO(text, { zone: 'utc' });
  if (!parsed.isValid) throw new RotorError('validation', `${option} ${text} is not a date; write it as YYYY-MM-DD or an ISO time.`);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  return (dateOnly && endOfDay ? parsed.plus({ days: 1 }) : parsed).toUTC().toISO() as string;
}

/** `--expect-head 42:<64 hex>`: a head published earlier (the announcement channel, the log stream). */
export function parseExpectedHead(text: string): { seq: number; hash: string } {
  const colon = text.indexOf(':');
  const seq = text.slice(0, colon);
  const hash = text.slice(colon + 1).toLowerCase();
  if (colon < 1 || seq.length > 15 || !/^\d+$/.test(seq) || Number(seq) < 1 || !/^[0-9a-f]{64}$/.test(hash)) {
    throw new ValidationError('--expect-head must be SEQ:HASH, as a published audit checkpoint gives it.', [
      { where: '--expect-head', message: 'an event number, a colon and its 64-character hex hash, e.g. 42:9f86d081884c7d65…' },
    ]);
  }
  return { seq: Number(seq), hash };
}

/** What `verify` vouches for, including what it cannot: an unkeyed chain proves only the absence of accidents. */
function describeChain(report: ChainReport, keyed: boolean): { summary: string; warning: string | null } {
  const head = report.head ? ` Head: #${report.head.seq} ${report.head.hash}.` : '';
  const lines = [`Audit log intact: ${report.events} events, every hash and link verified.${head}`];
  if (report.keyedFrom !== null) {
    const prefix =
      report.keyedFrom > 1 ? ` Events #1–#${report.keyedFrom - 1} predate the key; the first keyed event's link covers them.` : '';
    lines.push(
      `Keyed (HMAC-SHA256, key${report.keyIds.length === 1 ? '' : 's'} ${report.keyIds.join(', ')}) from event #${report.keyedFrom}.${prefix}`,
    );
  }
  const warning =
    keyed || report.events === 0
      ? null
      : 'warning: the audit chain is not keyed (ROTOR_AUDIT_KEY is not set): this shows that nothing was damaged by accident, not that nobody rewrote it, since anyone who can write the database file can recompute a plain SHA-256 chain. Key it with ROTOR_AUDIT_KEY, and check against a published head with --expect-head.';
  return { summary: lines.join('\n'), warning };
}

/**
 * Why verify failed, in words that fit: a missing key is a configuration to fix, not a sign of
 * tampering, so it does not send people to their backups.
 */
function chainProblem(firstBreak: ChainBreak): RotorError {
  if (firstBreak.missingKeyId) {
    return new RotorError(
      'database',
      `Cannot verify the audit log: event #${firstBreak.seq} is signed with audit key ${firstBreak.missingKeyId}, which is not configured. Set ROTOR_AUDIT_KEY to the key the bot uses (keys retired since go after the signing one, separated by commas) and run \`rotor audit verify\` again. The key is missing; nothing here says the log was changed.`,
    );
  }
  return new RotorError(
    'database',
    `Audit log broken at event #${firstBreak.seq}: ${firstBreak.reason}. Restore the database from a backup and investigate who changed it.`,
  );
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** What `--deep` replayed, each difference it found, and the facts the chain does not hold. */
function describeDeep(deep: DeepReport): string {
  const replayed = `Deep check: replayed the audit events of ${count(deep.rotations, 'rotation')}, ${count(deep.incidents, 'incident')} and ${count(deep.secrets, 'secret')}`;
  const lines =
    deep.differences.length === 0
      ? [`${replayed}; the tables agree with them.`]
      : [
          `${replayed}; the tables differ from them in ${count(deep.differences.length, 'place')}:`,
          ...deep.differences.map((difference) => `  - ${describeDifference(difference)}`),
        ];
  if (deep.uncovered.length > 0)
    lines.push(
      'Not covered by the chain (written before Rotor put these facts in its events), so taken from the tables unchecked:',
      ...deep.uncovered.map((fact) => `  - ${fact}`),
    );
  return lines.join('\n');
}

export function registerAuditCommand(program: Command, context: CliContext): void {
  const audit = program.command('audit').description('Verify and export the hash-chained audit log');

  audit
    .command('verify')
    .description('Check every event against its hash (MAC with ROTOR_AUDIT_KEY) and its link to the one before; exit 1 at the first break')
    .option('--expect-head <seq:hash>', 'a head published earlier (audit checkpoint): the chain must still hold that event unchanged')
    .option(
      '--deep',
      'also replay the audit events and compare what they build with the rotation, incident and inventory tables; exit 1 listing each difference',
    )
    .option('--json', 'print JSON')
    .action((options: { expectHead?: string; deep?: boolean; json?: boolean }) => {
      const expectHead = options.expectHead === undefined ? undefined : parseExpectedHead(options.expectHead);
      const keys = context.auditKeys;
      const services = context.open();
      const report = verifyAuditChain(services.db, { keys, ...(expectHead ? { expectHead } : {}) });
      if (report.firstBreak) {
        if (options.json) context.printJson({ intact: false, events: report.events, head: report.head, firstBreak: report.firstBreak });
        throw chainProblem(report.firstBreak);
      }
      const deep = options.deep
        ? verifyTablesAgainstChain({
            trail: new AuditTrailRepo(services.db, keys),
            rotations: new RotationRepo(services.db),
            incidents: new IncidentRepo(services.db),
            inventory: services.inventory,
          })
        : null;
      const { summary, warning } = describeChain(report, keys !== null);
      if (options.json) {
        const replayed = deep
          ? {
              deep: {
                ...deep,
                differences: deep.differences.map((difference) => ({ ...difference, text: describeDifference(difference) })),
              },
            }
          : {};
        context.printJson({ intact: true, events: report.events, head: report.head, keyed: keys !== null, ...replayed });
      } else context.print(deep ? `${summary}\n${describeDeep(deep)}` : summary);
      if (warning) context.io.stderr(`rotor: ${warning}\n`);
      if (deep && deep.differences.length > 0) {
        throw new RotorError(
          'database',
          `The tables differ from the audit chain in ${count(deep.differences.length, 'place')} (listed above): someone changed the database file outside Rotor. Rely on the chain's facts (the evidence and the report print them), restore the database from a backup, and investigate who changed it.`,
        );
      }
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
      if (since && until && since >= until)
        throw new RotorError('validation', `--since ${options.since} is not before --until ${options.until}.`);
      for (const chunk of formatAuditEvents(listAuditEvents(context.open().db, { since, until }), options.format)) context.io.stdout(chunk);
    });
}
