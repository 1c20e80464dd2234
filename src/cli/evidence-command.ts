import type { Command } from 'commander';
import { RotorError } from '../core/errors.js';
import { notConfigured, type ArchiveCheck } from '../evidence-archive/evidence-archive-service.js';
import type { CliContext } from './cli-context.js';

/** `rotor evidence verify`: every archived record read back and checked against the bucket's locks and the audit chain. */
export function registerEvidenceCommand(program: Command, context: CliContext): void {
  const evidence = program.command('evidence').description('The evidence archive (S3 Object Lock): check what Rotor archived');

  evidence
    .command('verify')
    .description(
      "Read every archived record back: present, locked in COMPLIANCE mode, one version, its digest the audit chain's; list what is missing or different and exit 1",
    )
    .option(
      '--at <date>',
      'judge as of this date (YYYY-MM-DD or ISO time) instead of now: which records are overdue, whether a retention has ended',
    )
    .option('--json', 'print JSON')
    .action(async (options: { at?: string; json?: boolean }) => {
      const archive = context.runtime(options.at).evidenceArchive;
      if (!archive) throw notConfigured();
      const check = await archive.verify();
      if (options.json) context.printJson(check);
      else context.print(describeCheck(check));
      if (check.problems.length > 0) {
        throw new RotorError(
          'provider',
          `The evidence archive at ${check.bucket} has ${check.problems.length} problem${check.problems.length === 1 ? '' : 's'} (listed above). A record missing is archived by its follow-up once the cause is fixed; one that differs was changed in the bucket or in the database: the original version is kept under Object Lock, so find out who changed it.`,
        );
      }
    });
}

function describeCheck(check: ArchiveCheck): string {
  const lines = [
    `Evidence archive ${check.bucket}: ${check.ok.length} object${check.ok.length === 1 ? '' : 's'} read back, locked in COMPLIANCE mode, and matching the audit chain.`,
  ];
  if (check.problems.length > 0)
    lines.push(
      `Missing or different (${check.problems.length}):`,
      ...check.problems.map((problem) => `  - ${problem.where}: ${problem.problem}`),
    );
  if (check.waiting.length > 0) lines.push(`Ended less than an hour ago, waiting for their follow-up: ${check.waiting.join(', ')}.`);
  if (check.elsewhere.length > 0)
    lines.push('Archived to a bucket the policy no longer names, not checked:', ...check.elsewhere.map((key) => `  - ${key}`));
  if (check.unexpected.length > 0)
    lines.push('Objects under the prefix that no record names (not judged):', ...check.unexpected.map((key) => `  - ${key}`));
  return lines.join('\n');
}
