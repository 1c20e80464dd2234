import { DateTime } from 'luxon';
import { RotorError } from '../../core/errors.js';
import { asAwsTags } from '../provenance-tags.js';
import type {
  CreatedVersion,
  CreateVersionRequest,
  DisabledVersion,
  DisableVersionRequest,
  DiscoveredSecret,
  PromoteRequest,
  ProviderTarget,
  ReadOptions,
  RestoreRequest,
  RetiredVersion,
  RetireOptions,
  SecretDescription,
  SecretProvider,
  ValueShape,
  VersionFingerprint,
  VersionSummary,
} from '../secret-provider.js';
import { AwsKmsKeyStore, type KmsKeyFacts, type KmsKeyStoreOptions } from './kms-key-store.js';
import { KMS_ALIAS_LABEL, KMS_PENDING_LABEL } from './kms-labels.js';
import { DEFAULT_PENDING_WINDOW_DAYS } from './kms-windows.js';

/**
 * A KMS alias behind the store port. A "version" is a key: its id is the version id and its ARN
 * stands where a readable value's fingerprint would (key material is never readable, so the
 * evidence records key ids and ARNs). Creating makes a key like the current one, promoting moves
 * the alias, verifying resolves the alias and round-trips a test value through it, retiring
 * schedules the old key's deletion, restoring cancels it and moves the alias back.
 */
export class AwsKmsKeyProvider implements SecretProvider {
  readonly kind = 'kms';
  private readonly keys: AwsKmsKeyStore;

  constructor(options: KmsKeyStoreOptions = {}) {
    this.keys = new AwsKmsKeyStore(options);
  }

  /** The alias exists and points at an enabled customer-managed key whose policy Rotor may copy. */
  async validateReference(target: ProviderTarget): Promise<void> {
    await this.keys.preflight(target);
  }

  async describe(target: ProviderTarget): Promise<SecretDescription> {
    const described = await this.keys.describe(target);
    const { key, pending } = described;
    const rotated = (await this.keys.listRotationsOf(target, key)).at(-1);
    return {
      current: summaryOf(key, [KMS_ALIAS_LABEL]),
      others: pending ? [summaryOf(pending, [KMS_PENDING_LABEL])] : [],
      lastRotatedAt: rotated?.rotatedAt ?? null,
      rotatedInPlace: rotated?.rotatedAt ? { at: rotated.rotatedAt, type: rotated.type } : null,
      lastChangedAt: key.createdAt,
      tags: described.tags,
      location: key.keyArn,
      rotationConfigured: false,
      limits: { maxVersions: null, deleteVersionAfterSeconds: null },
    };
  }

  async describeShape(target: ProviderTarget): Promise<ValueShape> {
    const { key } = await this.keys.describe(target);
    return { kind: 'key_material', what: `a ${key.keySpec} key for ${key.keyUsage}` };
  }

  async createVersion(target: ProviderTarget, request: CreateVersionRequest): Promise<CreatedVersion> {
    if (!request.requestToken) throw new RotorError('validation', `A new key for ${target.secretName} needs the step's request token.`);
    const current = (await this.keys.describe(target)).key.keyId;
    if (request.expectedCurrentVersionId && request.expectedCurrentVersionId !== current)
      throw new RotorError(
        'conflict',
        `${target.providerRef} of ${target.secretName} points at key ${current}, not ${request.expectedCurrentVersionId} as Rotor expected: someone moved the alias meanwhile. Run \`rotor sync\` to pick it up, then start again.`,
      );
    const created = await this.keys.createSuccessorKey(target, {
      now: request.now ? DateTime.fromISO(request.now, { zone: 'utc' }) : DateTime.utc(),
      requestToken: request.requestToken,
    });
    // No fingerprint: the key's material never leaves KMS; verify compares key ids.
    return { versionId: created.keyId, fingerprint: null, promotedOnCreate: false };
  }

  async promote(target: ProviderTarget, request: PromoteRequest): Promise<void> {
    await this.keys.moveAlias(target, {
      toKeyId: request.newVersionId,
      expectedCurrentKeyId: request.expectedCurrentVersionId ?? request.newVersionId,
    });
  }

  /** The key the alias points at now; for a symmetric key, after an encrypt/decrypt round trip through the alias. */
  async readCurrent(target: ProviderTarget, options: ReadOptions = {}): Promise<VersionFingerprint> {
    const { key } = await this.keys.describe(target);
    const verified = await this.keys.verify(target, { expectedKeyId: key.keyId });
    return {
      versionId: verified.keyId,
      fingerprint: verified.keyArn,
      checks: { roundTrip: verified.roundTrip, keyArn: verified.keyArn },
      ...(options.compareWith !== undefined ? { sameValue: options.compareWith === verified.keyArn } : {}),
    };
  }

  async readVersion(target: ProviderTarget, versionId: string): Promise<VersionFingerprint> {
    const key = await this.keys.keyFacts(target, versionId);
    return { versionId: key.keyId, fingerprint: key.keyArn, checks: { state: key.state } };
  }

  async restoreVersion(target: ProviderTarget, request: RestoreRequest): Promise<VersionFingerprint> {
    const fromKeyId = request.expectedCurrentVersionId ?? (await this.keys.describe(target)).key.keyId;
    const rolledBack = await this.keys.rollback(target, { toKeyId: request.versionId, fromKeyId });
    const key = await this.keys.keyFacts(target, rolledBack.keyId);
    return {
      versionId: key.keyId,
      fingerprint: key.keyArn,
      checks: { cancelledDeletion: String(rolledBack.cancelledDeletion), reenabled: String(rolledBack.reenabled) },
    };
  }

  /** Schedules the deletion of a key the alias no longer points at (the policy's pending window); it can be cancelled until the date. */
  async deprecateVersion(target: ProviderTarget, versionId: string, options: RetireOptions = {}): Promise<RetiredVersion> {
    const pendingWindowDays = options.pendingWindowDays ?? DEFAULT_PENDING_WINDOW_DAYS;
    const scheduled = await this.keys.scheduleDeletion(target, { keyId: versionId, pendingWindowDays });
    return { deletionDate: scheduled.deletionDate, recoverableDays: pendingWindowDays };
  }

  /**
   * Lets KMS rotate the alias's key itself every `periodDays` (90-2560; `EnableKeyRotation`): the
   * key id and the alias stay, KMS adds key material. What KMS then says of its schedule.
   */
  async enableAutomaticRotation(
    target: ProviderTarget,
    periodDays: number,
  ): Promise<{ keyId: string; periodDays: number | null; nextRotationAt: string | null }> {
    const enabled = await this.keys.enableAutomaticRotation(target, { periodDays });
    if (!enabled.enabled)
      throw new RotorError(
        'provider',
        `KMS accepted automatic rotation for key ${enabled.keyId} of ${target.secretName} but does not report it enabled. Check with \`aws kms get-key-rotation-status --key-id ${enabled.keyId}\`.`,
      );
    return { keyId: enabled.keyId, periodDays: enabled.periodDays, nextRotationAt: enabled.nextRotationAt };
  }

  /** `/revoke`: the alias moves to the replacement key first, then the compromised key is disabled at once. */
  async disableVersion(target: ProviderTarget, request: DisableVersionRequest): Promise<DisabledVersion> {
    if (request.destroy)
      throw new RotorError(
        'validation',
        `A KMS key cannot be destroyed at once; Rotor disables key ${request.versionId} of ${target.secretName} and its deletion is scheduled at the end of the window.`,
      );
    const current = (await this.keys.describe(target)).key.keyId;
    if (current === request.versionId) {
      if (!request.replacementVersionId)
        throw new RotorError(
          'conflict',
          `${target.providerRef} of ${target.secretName} still points at the compromised key ${current}: a new key must take its place before it is disabled.`,
        );
      await this.keys.moveAlias(target, { toKeyId: request.replacementVersionId, expectedCurrentKeyId: current });
    }
    await this.keys.disableKey(target, { keyId: request.versionId });
    return { versionId: request.versionId, action: 'disabled' };
  }

  /** Rotor does not list KMS keys to propose inventory entries: consumers name aliases, added by people. */
  async listForDiscovery(): Promise<DiscoveredSecret[]> {
    return [];
  }

  /** Provenance: `version` and `rotated_by` on the key the alias points at. */
  async writeProvenance(target: ProviderTarget, tags: Record<string, string>): Promise<void> {
    const { key } = await this.keys.describe(target);
    await this.keys.tagKey(target, { keyId: key.keyId, tags: asAwsTags(tags) });
  }

  /** What a person runs to see which key the alias names now. */
  retrievalLine(target: ProviderTarget): string {
    return this.keys.retrievalLine(target);
  }

  destroy(): void {
    this.keys.destroy();
  }
}

function summaryOf(key: KmsKeyFacts, labels: string[]): VersionSummary {
  return { versionId: key.keyId, createdAt: key.createdAt, labels: [...labels, key.state] };
}
