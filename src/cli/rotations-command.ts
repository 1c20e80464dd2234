import type { Command } from 'commander';
import { renderRotationEvidence } from '../rotation/history/rotation-evidence.js';
import { renderRotationDetail, renderRotationList, summarizeRotation } from '../rotation/history/rotation-summary.js';
import type { CliContext } from './cli-context.js';
import { CLI_NEXT_STEP_WORDS } from './cli-next-step.js';

/** `rotor rotations list|show|evidence`: what guided rotations did, for operators and auditors. */
export function registerRotationsCommand(program: Command, context: CliContext): void {
  const rotations = program.command('rotations').description('Guided rotations: list them, show one, print the evidence record of one');

  rotations
    .command('list')
    .description('Rotations newest first: secret, kind, state, ticket, who holds it, current step, approvals still missing')
    .option('--open', 'only rotations still open (awaiting approval or in progress)')
    .option('--json', 'print JSON')
    .action((options: { open?: boolean; json?: boolean }) => {
      const summaries = context
        .runtime()
        .rotationHistory.list({ open: options.open ?? false })
        .map(summarizeRotation);
      if (options.json) context.printJson(summaries);
      else context.print(renderRotationList(summaries));
    });

  rotations
    .command('show')
    .description('One rotation in full: every step with who and when, approvals, versions, preflight findings')
    .argument('<rotation>', 'a rotation id (12 or #12), or a secret name for its open rotation, else its newest')
    .option('--json', 'print JSON')
    .action((idOrName: string, options: { json?: boolean }) => {
      const runtime = context.runtime();
      const record = runtime.rotationHistory.find(idOrName);
      if (options.json) {
        context.printJson({ ...summarizeRotation(record), rotation: record.rotation, steps: record.steps, approvals: record.approvals });
        return;
      }
      context.print(
        renderRotationDetail(record, runtime.services.inventory.getById(record.rotation.secretId)?.type ?? null, CLI_NEXT_STEP_WORDS),
      );
    });

  rotations
    .command('evidence')
    .description('Print the Markdown evidence record of one rotation, with the audit chain positions that prove it')
    .argument('<rotation>', 'a rotation id (12 or #12), or a secret name for its open rotation, else its newest')
    .option('--json', 'print the record as JSON instead of Markdown')
    .action((idOrName: string, options: { json?: boolean }) => {
      const evidence = context.runtime().rotationHistory.evidence(idOrName);
      if (options.json) context.printJson(evidence);
      else context.io.stdout(renderRotationEvidence(evidence, null, CLI_NEXT_STEP_WORDS));
    });
}
