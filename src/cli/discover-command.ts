import { Option, type Command } from 'commander';
import { ValidationError } from '../core/errors.js';
import type { DiscoverReport } from '../providers/discover-service.js';
import { BUILT_IN_STORES } from '../providers/store-catalog.js';
import type { CliContext } from './cli-context.js';

/**
 * `rotor discover --provider aws --tag-key rotor:owner` / `--provider vault --mount secret` /
 * `--provider google --project acme-prod --tag-key rotor-owner`:
 * proposes inventory entries for secrets found by their tags or `custom_metadata`; `--apply`
 * adds them, through the import's validation and the audit log. Unlike the commands that write
 * what an operator already chose (import, sync), discovery reads a store someone else tags, so
 * its default stays a proposal, as it always was; `--dry-run` says so explicitly, like everywhere.
 */
/** The stores whose secrets can be listed. */
const DISCOVERABLE = BUILT_IN_STORES.kinds.filter((store) => store.capabilities.discovery !== null);

export function registerDiscoverCommand(program: Command, context: CliContext): void {
  program
    .command('discover')
    .description(
      'Propose inventory entries for secrets found in AWS Secrets Manager (tags), Vault KV v2 (custom_metadata) or Google Secret Manager (labels); --apply adds them',
    )
    .addOption(new Option('--provider <provider>', 'where to look').choices(DISCOVERABLE.map((store) => store.kind)).makeOptionMandatory())
    .option('--tag-key <key>', 'only secrets carrying this tag / custom_metadata key, e.g. rotor:owner')
    .option('--mount <mount>', 'Vault: the KV v2 mount to walk, e.g. secret')
    .option('--project <project>', 'Google: the project whose secrets are listed, e.g. acme-prod')
    .option('--location <location>', 'Google: the location of regional secrets, e.g. europe-west1')
    .option('--dry-run', 'only show the proposals; write nothing (the default)', false)
    .addOption(new Option('--apply', 'add the valid proposals to the inventory').conflicts('dryRun'))
    .option('--json', 'print the report as JSON', false)
    .action(
      async (options: {
        provider: string;
        tagKey?: string;
        mount?: string;
        project?: string;
        location?: string;
        dryRun: boolean;
        apply?: boolean;
        json: boolean;
      }) => {
        const requiresMount = BUILT_IN_STORES.of(options.provider).capabilities.discovery?.requiresMount;
        if (requiresMount && !options.mount)
          throw new ValidationError(requiresMount, [{ where: '--mount', message: `required with --provider ${options.provider}` }]);
        const apply = options.apply === true;
        const { providers } = context.runtime(undefined, { ifMissing: apply ? 'create' : 'empty' });
        const report = await providers.discover.run({
          provider: options.provider,
          tagKey: options.tagKey,
          mount: options.mount,
          ...(options.project ? { project: options.project } : {}),
          ...(options.location ? { location: options.location } : {}),
          apply,
          actor: context.actor,
        });
        if (options.json) context.printJson(report);
        else context.print(renderDiscoverReport(report).join('\n'));
      },
    );
}

export function renderDiscoverReport(report: DiscoverReport): string[] {
  const lines: string[] = [];
  if (report.proposals.length === 0) lines.push('No new secrets to propose.');
  else {
    lines.push(
      report.applied
        ? `Added ${report.proposals.length} secret(s) to the inventory:`
        : `Would add ${report.proposals.length} new secret(s) (dry run: nothing written; run without --dry-run to add them):`,
    );
    for (const proposal of report.proposals) {
      const secret = proposal.after;
      lines.push(
        `  + ${secret.name}  type=${secret.type} owner=${secret.owner ?? '-'} every ${secret.intervalDays} days  ${secret.providerRef ?? ''}`,
      );
    }
  }
  if (report.rejected.length > 0) {
    lines.push(`Cannot propose ${report.rejected.length} secret(s) as tagged:`);
    for (const rejected of report.rejected) {
      lines.push(`  ! ${rejected.providerRef}`);
      for (const issue of rejected.issues) lines.push(`      ${issue.where}: ${issue.message}`);
    }
  }
  if (report.known.length > 0) lines.push(`Already in the inventory: ${report.known.map((known) => known.name).join(', ')}.`);
  return lines;
}
