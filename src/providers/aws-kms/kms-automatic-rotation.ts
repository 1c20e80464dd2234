import { actorId, type Actor } from '../../access/actor.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { isoInstant, type Clock } from '../../core/clock.js';
import { RotorError, ValidationError } from '../../core/errors.js';
import type { InventoryService } from '../../inventory/inventory-service.js';
import type { Db } from '../../storage/database.js';
import { statement } from '../../storage/statements.js';
import type { ProviderRegistry } from '../provider-registry.js';
import { connectionBehind } from '../loaded-on-first-call.js';
import { validateAutomaticRotationPeriod } from './kms-windows.js';

/** A key KMS rotates itself, as Rotor recorded it when it turned that on. */
export interface KmsAutomaticRotation {
  secret: string;
  keyId: string;
  periodDays: number;
  enabledBy: string;
  enabledAt: string;
  /** What KMS said of its next rotation, when it said. */
  nextRotationAt: string | null;
}

export interface KmsAutomaticRotationDeps {
  db: Db;
  registry: ProviderRegistry;
  inventoryService: InventoryService;
  audit: AuditLog;
  clock: Clock;
}

/**
 * Where a KMS key should use KMS's own rotation instead of a replacement key (issue 22 item 1):
 * Rotor turns it on (`EnableKeyRotation` with the period), records the key, the period and who
 * asked, and `rotor sync` records each rotation KMS then performs (the key id stays). The period
 * may not exceed the secret's interval, so Rotor reminds only when KMS misses a rotation.
 */
export class KmsAutomaticRotationService {
  constructor(private readonly deps: KmsAutomaticRotationDeps) {}

  async enable(name: string, periodDays: number, actor: Actor): Promise<KmsAutomaticRotation> {
    validateAutomaticRotationPeriod(periodDays);
    const secret = this.deps.inventoryService.editable(actor, name);
    if (secret.provider !== 'kms')
      throw new ValidationError(`${name} is kept in ${secret.provider}, not AWS KMS: only a KMS key can be rotated by KMS itself.`, [
        { where: 'secret', message: 'not a KMS key' },
      ]);
    if (periodDays > secret.intervalDays)
      throw new ValidationError(
        `KMS would rotate ${name} every ${periodDays} days, less often than its rotation interval of ${secret.intervalDays} days; choose at most ${secret.intervalDays} days, or change the interval first.`,
        [{ where: 'rotation_period_days', message: `at most the interval, ${secret.intervalDays} days` }],
      );
    if (secret.lifecycle === 'rotating' || secret.lifecycle === 'compromised')
      throw new RotorError('conflict', `${name} is ${secret.lifecycle}: finish that first, then turn on KMS's automatic rotation.`);
    const { provider: connected, target } = this.deps.registry.resolve(secret);
    const provider = await connectionBehind(connected);
    // Loaded here, not with the module: every `rotor` command registers this one, and the class brings the KMS SDK.
    const { AwsKmsKeyProvider } = await import('./kms-key-provider.js');
    if (!(provider instanceof AwsKmsKeyProvider)) throw new RotorError('internal', `The store connected for ${name} is not AWS KMS.`);
    const enabled = await provider.enableAutomaticRotation(target, periodDays);
    const by = actorId(actor);
    const at = isoInstant(this.deps.clock.now());
    this.deps.audit.record(() => {
      statement(
        this.deps.db,
        `INSERT INTO kms_automatic_rotations (secret_id, key_id, period_days, enabled_by, enabled_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (secret_id) DO UPDATE SET key_id = excluded.key_id, period_days = excluded.period_days,
           enabled_by = excluded.enabled_by, enabled_at = excluded.enabled_at`,
      ).run(secret.id, enabled.keyId, periodDays, by, at);
      return {
        result: undefined,
        events: [
          {
            actor: by,
            action: 'kms.automatic_rotation_enabled',
            secret: name,
            details: { keyId: enabled.keyId, periodDays, nextRotationAt: enabled.nextRotationAt },
          },
        ],
      };
    });
    return { secret: name, keyId: enabled.keyId, periodDays, enabledBy: by, enabledAt: at, nextRotationAt: enabled.nextRotationAt };
  }

  /** What Rotor recorded for the secret, or null when it never turned KMS's rotation on. */
  recorded(name: string): Omit<KmsAutomaticRotation, 'nextRotationAt'> | null {
    const row = statement(
      this.deps.db,
      `SELECT s.name AS secret, k.key_id AS keyId, k.period_days AS periodDays, k.enabled_by AS enabledBy, k.enabled_at AS enabledAt
       FROM kms_automatic_rotations k JOIN secrets s ON s.id = k.secret_id WHERE s.name = ?`,
    ).get(name) as Omit<KmsAutomaticRotation, 'nextRotationAt'> | undefined;
    return row ?? null;
  }
}
