import type { Actor } from '../access/actor.js';
import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { DEFAULT_RUN_DEADLINE_SECONDS, Deadline, DeadlineExceededError } from '../core/deadline.js';
import { describeError, RotorError } from '../core/errors.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { ProviderKind, Secret } from '../inventory/secret.js';
import { fingerprintScheme, type Fingerprinter } from './fingerprint.js';
import type { ProviderRegistry } from './provider-registry.js';
import { isInSync } from './replica-regions.js';
import type { ProviderTarget, SecretDescription, SecretProvider } from './secret-provider.js';
import { describeStoreKey, StoreKeyIndex, storeKeyOf } from './store-key.js';

export interface SyncOptions {
  /** Only secrets of this store kind. */
  provider?: ProviderKind;
  /** Report what would be recorded without writing anything. */
  dryRun?: boolean;
  actor: Actor;
  /** The run's deadline (ROTOR_RUN_DEADLINE_SECONDS, or `--deadline`): past it no secret is begun. */
  deadlineSeconds?: number;
}

export interface SyncFinding {
  secret: string;
  message: string;
}

export interface SyncReport {
  dryRun: boolean;
  checked: number;
  /** Rotations done outside Rotor, recorded (or, on a dry run, to be recorded). */
  rotations: SyncFinding[];
  /** First sight of the provider's version for a secret Rotor had no version id for. */
  baselines: SyncFinding[];
  /** References that no longer resolve. */
  unresolved: SyncFinding[];
  /** Differences Rotor reports but does not settle on its own. */
  drift: SyncFinding[];
  /** Secrets that could not be checked this time (access, outage); the next run retries them. */
  failures: SyncFinding[];
}

export interface SyncDeps {
  inventory: InventoryRepo;
  inventoryService: InventoryService;
  registry: ProviderRegistry;
  clock: Clock;
  /** The providers' fingerprinter: a stored fingerprint of an older scheme is brought up to date. */
  fingerprinter: Fingerprinter;
  logger?: Logger;
}

/**
 * Keeps the inventory true to the providers: for every provider-backed secret, a current
 * version newer than Rotor's last rotation is recorded as a rotation done outside Rotor;
 * missing references and disagreements are reported. One secret's failure never stops the
 * others, and a secret is only written once everything about it was read successfully.
 */
export class ProviderSyncService {
  constructor(private readonly deps: SyncDeps) {}

  /**
   * Syncs every provider-backed secret, one at a time, until the deadline: then the provider
   * call in flight is aborted, nothing more is begun or written, and the run throws a
   * DeadlineExceededError whose report lists each secret not checked among its failures.
   */
  async run(options: SyncOptions): Promise<SyncReport> {
    const report: SyncReport = {
      dryRun: options.dryRun ?? false,
      checked: 0,
      rotations: [],
      baselines: [],
      unresolved: [],
      drift: [],
      failures: [],
    };
    const secrets = this.deps.inventory
      .list({}, this.deps.clock.now(), 0)
      .filter(
        (secret) =>
          !this.deps.registry.stores.of(secret.provider).capabilities.byHand && (!options.provider || secret.provider === options.provider),
      );
    this.reportDuplicates(secrets, report);
    const deadline = Deadline.after(options.deadlineSeconds ?? DEFAULT_RUN_DEADLINE_SECONDS);
    let finished = 0;
    const outcome = await deadline.race(
      deadline.run(async () => {
        for (const secret of secrets) {
          if (deadline.passed) return;
          await this.syncCounted(secret, options, report, deadline);
          finished += 1;
        }
      }),
    );
    if (!outcome.done) throw this.stoppedAtDeadline(report, secrets.slice(finished), deadline);
    this.deps.logger?.info(
      {
        dryRun: report.dryRun,
        checked: report.checked,
        rotations: report.rotations.length,
        unresolved: report.unresolved.length,
        drift: report.drift.length,
        failures: report.failures.length,
      },
      'provider sync finished',
    );
    return report;
  }

  private async syncCounted(secret: Secret, options: SyncOptions, report: SyncReport, deadline: Deadline): Promise<void> {
    try {
      await this.syncOne(secret, options, report, deadline);
      report.checked += 1;
    } catch (error) {
      // Cut off by the deadline: not checked, and reported as such by stoppedAtDeadline.
      if (deadline.passed) return;
      report.checked += 1;
      const finding = { secret: secret.name, message: describeError(error) };
      if (error instanceof RotorError && error.code === 'not_found') report.unresolved.push(finding);
      else report.failures.push(finding);
    }
  }

  /** The report as it stood at the deadline, with every secret not checked among the failures. */
  private stoppedAtDeadline(report: SyncReport, left: readonly Secret[], deadline: Deadline): DeadlineExceededError<SyncReport> {
    const message = `not checked: rotor sync stopped at its ${deadline.seconds} s deadline before finishing this secret; the next run checks it`;
    const partial: SyncReport = {
      ...report,
      rotations: [...report.rotations],
      baselines: [...report.baselines],
      unresolved: [...report.unresolved],
      drift: [...report.drift],
      failures: [...report.failures, ...left.map((secret) => ({ secret: secret.name, message }))],
    };
    this.deps.logger?.warn(
      { checked: report.checked, left: left.length, deadlineSeconds: deadline.seconds },
      'provider sync stopped at its deadline',
    );
    return new DeadlineExceededError(
      'provider_unavailable',
      `rotor sync stopped at its ${deadline.seconds} s deadline (ROTOR_RUN_DEADLINE_SECONDS, or --deadline): ${report.checked} of ${report.checked + left.length} provider-backed secrets checked, ${left.length} not checked this time. The providers were too slow or did not answer; the next run checks the rest.`,
      partial,
    );
  }

  private async syncOne(secret: Secret, options: SyncOptions, report: SyncReport, deadline: Deadline): Promise<void> {
    const { provider, target } = this.deps.registry.resolve(secret);
    const description = await provider.describe(target);
    const current = description.current;
    if (!current) {
      report.drift.push({ secret: secret.name, message: 'the provider reports no current version' });
      return;
    }
    this.reportTagDrift(secret, description, report);
    for (const replica of description.replicas ?? []) {
      if (!isInSync(replica))
        report.drift.push({
          secret: secret.name,
          message: `its replica in ${replica.region} is ${replica.status}${replica.message ? ` (${replica.message})` : ''}: it may not serve the current version`,
        });
    }
    if (current.versionId === secret.currentVersionId) {
      if (this.recordRotatedInPlace(secret, provider.kind, description, options, report)) return;
      return this.refingerprint(secret, provider, target, options, report, deadline);
    }

    const changedAt = latest(current.createdAt, description.lastRotatedAt);
    const lastRotated = secret.lastRotated ? DateTime.fromISO(secret.lastRotated, { zone: 'utc' }) : null;
    const newer = changedAt !== null && (lastRotated === null || changedAt > lastRotated);
    if (secret.lifecycle === 'rotating' || secret.lifecycle === 'compromised') {
      report.drift.push({
        secret: secret.name,
        message: `is ${secret.lifecycle} in Rotor, while the provider's current version is now ${current.versionId}; finish that flow in Rotor`,
      });
      return;
    }
    if (!newer && secret.currentVersionId !== null) {
      report.drift.push({
        secret: secret.name,
        message: `the provider's current version ${current.versionId} is not newer than Rotor's last rotation (${secret.lastRotated}) but differs from the recorded ${secret.currentVersionId}: rolled back?`,
      });
      return;
    }
    const read = await provider.readCurrent(target);
    // What is read after the deadline is not written: the report has already called it not checked.
    deadline.signal.throwIfAborted();
    if (!newer) {
      report.baselines.push({ secret: secret.name, message: `records the provider's current version ${read.versionId}` });
      if (!options.dryRun)
        this.deps.inventoryService.recordVersion(secret.name, read, options.actor, 'secret.version_synced', {
          provider: provider.kind,
          source: 'sync',
        });
      return;
    }
    const rotatedAt = (changedAt as DateTime).toUTC().toISO() as string;
    report.rotations.push({ secret: secret.name, message: `rotated outside Rotor at ${rotatedAt}: version ${read.versionId}` });
    if (options.dryRun) return;
    this.deps.inventoryService.recordRotation(
      secret.name,
      { rotatedAt, versionId: read.versionId, fingerprint: read.fingerprint },
      options.actor,
      'secret.rotated_outside_rotor',
      { provider: provider.kind, source: 'sync', previousVersionId: secret.currentVersionId, previousNextRotation: secret.nextRotation },
    );
  }

  /**
   * The store rotated the secret itself and kept its version id (KMS's automatic rotation adds key
   * material to the same key): newer than Rotor's last rotation, it is recorded as a rotation
   * outside Rotor, once (the recorded date is then that rotation's).
   */
  private recordRotatedInPlace(
    secret: Secret,
    kind: string,
    description: SecretDescription,
    options: SyncOptions,
    report: SyncReport,
  ): boolean {
    const inPlace = description.rotatedInPlace;
    if (!inPlace || secret.lifecycle === 'rotating' || secret.lifecycle === 'compromised') return false;
    const at = DateTime.fromISO(inPlace.at, { zone: 'utc' });
    const lastRotated = secret.lastRotated ? DateTime.fromISO(secret.lastRotated, { zone: 'utc' }) : null;
    if (!at.isValid || (lastRotated !== null && at <= lastRotated)) return false;
    const rotatedAt = at.toUTC().toISO() as string;
    report.rotations.push({
      secret: secret.name,
      message: `rotated by the store itself at ${rotatedAt} (${inPlace.type.toLowerCase().replace('_', ' ')}; version ${secret.currentVersionId} kept)`,
    });
    if (options.dryRun) return true;
    this.deps.inventoryService.recordRotation(
      secret.name,
      { rotatedAt, versionId: secret.currentVersionId, fingerprint: secret.currentFingerprint },
      options.actor,
      'secret.rotated_outside_rotor',
      {
        provider: kind,
        source: 'sync',
        rotatedInPlace: inPlace.type,
        previousVersionId: secret.currentVersionId,
        previousNextRotation: secret.nextRotation,
      },
    );
    return true;
  }

  /**
   * Entries that track one store secret (references compared in canonical form), as entries
   * made before Rotor refused them may: each such secret is reminded and synced twice.
   */
  private reportDuplicates(secrets: readonly Secret[], report: SyncReport): void {
    const { stores } = this.deps.registry;
    const seen = new StoreKeyIndex<string>(stores);
    for (const secret of secrets) {
      const key = storeKeyOf(stores, secret.provider, secret.providerRef);
      if (!key) continue;
      const first = seen.find(key)[0];
      if (first)
        report.drift.push({
          secret: secret.name,
          message: `tracks ${describeStoreKey(stores, key)}, as \`${first}\` does; retire one of the two entries so it is reminded and synced once`,
        });
      else seen.add(key, secret.name);
    }
  }

  /**
   * A fingerprint stored before ROTOR_FINGERPRINT_KEY was set (a guessable plain SHA-256), or
   * under a retired key, is replaced by the current keyed one once the value read back is shown
   * to be the same (compared in memory with the stored one); a different value is drift.
   */
  private async refingerprint(
    secret: Secret,
    provider: SecretProvider,
    target: ProviderTarget,
    options: SyncOptions,
    report: SyncReport,
    deadline: Deadline,
  ): Promise<void> {
    const stored = secret.currentFingerprint;
    if (!this.deps.fingerprinter.keyed || stored === null || this.deps.fingerprinter.isCurrent(stored)) return;
    const read = await provider.readCurrent(target, { compareWith: stored });
    deadline.signal.throwIfAborted();
    if (read.versionId !== secret.currentVersionId) return;
    if (!read.sameValue) {
      report.drift.push({
        secret: secret.name,
        message: `version ${read.versionId} does not hold the value Rotor fingerprinted for it; check who changed it`,
      });
      return;
    }
    report.baselines.push({ secret: secret.name, message: `re-fingerprints version ${read.versionId} with ROTOR_FINGERPRINT_KEY` });
    if (options.dryRun) return;
    this.deps.inventoryService.recordVersion(
      secret.name,
      { versionId: read.versionId, fingerprint: read.fingerprint },
      options.actor,
      'secret.fingerprint_rekeyed',
      {
        provider: provider.kind,
        source: 'sync',
        previousScheme: fingerprintScheme(stored),
      },
    );
  }

  /** An owner tag that names someone else than the inventory's owner. */
  private reportTagDrift(secret: Secret, description: SecretDescription, report: SyncReport): void {
    const tagged = description.tags['rotor:owner'] ?? description.tags.owner;
    if (tagged && secret.owner && tagged !== secret.owner) {
      report.drift.push({ secret: secret.name, message: `the provider's owner tag says ${tagged}, the inventory says ${secret.owner}` });
    }
  }
}

function latest(...instants: (string | null)[]): DateTime | null {
  const parsed = instants.filter((value): value is string => value !== null).map((value) => DateTime.fromISO(value, { zone: 'utc' }));
  if (parsed.length === 0) return null;
  return parsed.reduce((a, b) => (b > a ? b : a));
}
