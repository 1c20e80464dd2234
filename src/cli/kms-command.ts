import type { Command } from 'commander';
import { KmsAutomaticRotationService } from '../providers/aws-kms/kms-automatic-rotation.js';
import type { CliContext } from './cli-context.js';
import { wholeNumber } from './cli-options.js';

/**
 * `rotor kms auto-rotate <secret> --period-days N [--json]`: lets KMS rotate a key itself
 * (`EnableKeyRotation`), for a key that should not be replaced by a new one; Rotor records the
 * period, and `rotor sync` records each rotation KMS performs.
 */
export function registerKmsCommand(program: Command, context: CliContext): void {
  const kms = program.command('kms').description('AWS KMS keys');
  kms
    .command('auto-rotate')
    .description("Turn on KMS's own automatic rotation of a key (90-2560 days, at most the secret's interval)")
    .argument('<secret>', 'the inventory name of a kms_key secret')
    .requiredOption('--period-days <days>', 'how often KMS rotates the key material', wholeNumber(1))
    .option('--json', 'print the result as JSON', false)
    .action(async (name: string, options: { periodDays: number; json: boolean }) => {
      const runtime = context.runtime();
      const { db, inventoryService, audit, clock } = runtime.services;
      const service = new KmsAutomaticRotationService({ db, registry: runtime.providers.registry, inventoryService, audit, clock });
      const enabled = await service.enable(name, options.periodDays, context.actor);
      if (options.json) return context.printJson(enabled);
      context.print(
        `KMS now rotates ${enabled.secret} (key ${enabled.keyId}) itself every ${enabled.periodDays} days${enabled.nextRotationAt ? `; next rotation ${enabled.nextRotationAt}` : ''}. \`rotor sync\` records each rotation it performs.`,
      );
    });
}
