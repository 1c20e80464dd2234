import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListKeyRotationsCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UpdateAliasCommand,
  type KeyMetadata,
} from '@aws-sdk/client-kms';
import type { DateTime } from 'luxon';
import { RotorError } from '../../core/errors.js';
import { callWithRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../call-with-retry.js';
import type { ProviderTarget } from '../secret-provider.js';
import { isTransientKmsError, translateKmsError } from './kms-errors.js';
import { parseKmsAliasRef, type KmsAliasRef } from './kms-alias-ref.js';
import { pendingAliasOf } from './kms-labels.js';
import { validateAutomaticRotationPeriod, validatePendingWindow } from './kms-windows.js';

/** Tags Rotor puts on a key it creates, so a retried step finds it and people see where it came from. */
export const REQUEST_TOKEN_TAG = 'rotor:request-token';
export const SUCCESSOR_OF_TAG = 'rotor:successor-of';

/** What KMS says of one key. Key material is never readable: ids and ARNs are the evidence. */
export interface KmsKeyFacts {
  keyId: string;
  keyArn: string;
  /** KMS's `KeyState`: Enabled, Disabled, PendingDeletion, … */
  state: string;
  keySpec: string;
  keyUsage: string;
  description: string;
  /** AWS_KMS, EXTERNAL, AWS_CLOUDHSM, EXTERNAL_KEY_STORE. */
  origin: string;
  /** CUSTOMER or AWS. */
  manager: string;
  multiRegion: boolean;
  createdAt: string | null;
  /** Set while the key is pending deletion. */
  deletionDate: string | null;
}

export interface KmsAliasDescription {
  aliasName: string;
  key: KmsKeyFacts;
  tags: Record<string, string>;
  /** The key policy as JSON text; null when Rotor may not read it (then it cannot be copied). */
  policy: string | null;
  automaticRotation: { enabled: boolean; periodDays: number | null; nextRotationAt: string | null };
  /** The successor a create step made and the alias has not moved to yet. */
  pending: (KmsKeyFacts & { requestToken: string | null }) | null;
}

export interface CreatedKmsKey {
  keyId: string;
  keyArn: string;
  description: string;
  /** True when a retried step found the key its first attempt made. */
  adopted: boolean;
}

export interface KmsVerification {
  keyId: string;
  keyArn: string;
  /** `passed` after an encrypt/decrypt round trip through the alias; symmetric keys only. */
  roundTrip: 'passed' | 'not_applicable';
}

export interface ScheduledDeletion {
  keyId: string;
  keyArn: string;
  deletionDate: string;
  /** False when the key was already pending deletion (a repeated step). */
  scheduledNow: boolean;
}

export interface KmsRollback {
  keyId: string;
  cancelledDeletion: boolean;
  reenabled: boolean;
}

export interface KmsRotationEntry {
  keyId: string;
  rotatedAt: string | null;
  /** AUTOMATIC or ON_DEMAND. */
  type: string;
}

export interface KmsKeyStoreOptions {
  retry?: RetryPolicy;
  /** Region when neither the reference nor the SDK's chain gives one. */
  defaultRegion?: string;
  /** An explicit endpoint; without it the SDK applies `AWS_ENDPOINT_URL` itself. */
  endpoint?: string;
  /** The new key's description; the runbook's `App key <YYYYMMDD>` by default. */
  describeNewKey?: (date: string) => string;
}

/**
 * AWS KMS customer-managed keys as a store of key material: consumers name an alias, a
 * rotation makes a new key with the old one's spec, usage, policy and tags, waits under
 * `alias/rotor-pending/<name>`, moves the alias, and retires the old key by scheduling its
 * deletion. Each method is one idempotent step: run twice, it finds its own work done.
 */
export class AwsKmsKeyStore {
  private readonly clients = new Map<string, KMSClient>();
  private readonly retry: RetryPolicy;

  constructor(private readonly options: KmsKeyStoreOptions = {}) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  async validateReference(target: ProviderTarget): Promise<void> {
    await this.describeKey(target, this.refOf(target), this.refOf(target).aliasName, 'look up');
  }

  async describe(target: ProviderTarget): Promise<KmsAliasDescription> {
    const ref = this.refOf(target);
    const key = await this.describeKey(target, ref, ref.aliasName, 'describe');
    const tags = await this.tagsOf(target, ref, key.keyId);
    const policy = await this.policyOf(target, ref, key.keyId);
    const automaticRotation = await this.rotationStatusOf(target, ref, key);
    const pendingKey = await this.describeKeyIfExists(target, ref, pendingAliasOf(ref.aliasName));
    const pending = pendingKey
      ? { ...pendingKey, requestToken: (await this.tagsOf(target, ref, pendingKey.keyId))[REQUEST_TOKEN_TAG] ?? null }
      : null;
    return { aliasName: ref.aliasName, key, tags, policy, automaticRotation, pending };
  }

  /**
   * The checks before a rotation: the alias exists and points at an enabled, customer-managed
   * key with key material KMS generated, whose policy Rotor can read to copy. Every problem
   * found is named at once; nothing is changed.
   */
  async preflight(target: ProviderTarget): Promise<KmsAliasDescription> {
    const description = await this.describe(target);
    const { key } = description;
    const problems: string[] = [];
    if (key.state !== 'Enabled')
      problems.push(
        `the alias points at key ${key.keyId}, which is ${key.state}, not Enabled (enable it or point the alias at an enabled key)`,
      );
    if (key.manager !== 'CUSTOMER') problems.push(`key ${key.keyId} is managed by AWS, which rotates it itself`);
    if (key.origin !== 'AWS_KMS')
      problems.push(`key ${key.keyId} has key material from ${key.origin}; Rotor only replaces keys whose material KMS generates`);
    if (key.multiRegion)
      problems.push(`key ${key.keyId} is a multi-Region key; its replicas would not follow a new key, so rotate it by hand`);
    if (description.policy === null)
      problems.push(`Rotor may not read the key policy of ${key.keyId} (kms:GetKeyPolicy), so it cannot copy it to the new key`);
    if (problems.length > 0) {
      throw new RotorError(
        'conflict',
        `${target.secretName} (${target.providerRef}) cannot be rotated in AWS KMS: ${problems.join('; ')}.`,
      );
    }
    return description;
  }

  /**
   * Creates the successor key with the old key's spec, usage, policy and tags and parks it
   * under the pending alias. A retry with the same token adopts the key its first attempt
   * made; a pending key of another rotation is refused, naming it.
   */
  async createSuccessorKey(target: ProviderTarget, request: { now: DateTime; requestToken: string }): Promise<CreatedKmsKey> {
    const ref = this.refOf(target);
    const pendingAlias = pendingAliasOf(ref.aliasName);
    const pending = await this.describeKeyIfExists(target, ref, pendingAlias);
    if (pending) {
      const token = (await this.tagsOf(target, ref, pending.keyId))[REQUEST_TOKEN_TAG];
      if (token !== request.requestToken) {
        throw new RotorError(
          'conflict',
          `Another rotation's new key ${pending.keyId} is waiting under ${pendingAlias} for ${target.secretName}. Finish or abandon that rotation, or delete the alias (\`aws kms delete-alias --alias-name ${pendingAlias}\`), then try again.`,
        );
      }
      return { keyId: pending.keyId, keyArn: pending.keyArn, description: pending.description, adopted: true };
    }
    const old = await this.preflight(target);
    const description = (this.options.describeNewKey ?? ((date) => `App key ${date}`))(request.now.toUTC().toFormat('yyyyLLdd'));
    const tags = { ...old.tags, [REQUEST_TOKEN_TAG]: request.requestToken, [SUCCESSOR_OF_TAG]: old.key.keyId };
    const created = await this.call(target, ref, 'create the new key for', (client, signal) =>
      client.send(
        new CreateKeyCommand({
          Description: description,
          KeySpec: old.key.keySpec as KeyMetadata['KeySpec'],
          KeyUsage: old.key.keyUsage as KeyMetadata['KeyUsage'],
          Policy: old.policy ?? undefined,
          Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
        }),
        { abortSignal: signal },
      ),
    );
    const key = factsOf(created.KeyMetadata);
    await this.call(target, ref, `park the new key under ${pendingAlias} for`, (client, signal) =>
      client.send(new CreateAliasCommand({ AliasName: pendingAlias, TargetKeyId: key.keyId }), { abortSignal: signal }),
    );
    return { keyId: key.keyId, keyArn: key.keyArn, description, adopted: false };
  }

  /**
   * Moves the alias to `toKeyId` (UpdateAlias), refusing when it no longer points at the key
   * Rotor expects; then drops the pending alias. Harmless when the alias already points there.
   */
  async moveAlias(target: ProviderTarget, request: { toKeyId: string; expectedCurrentKeyId: string }): Promise<void> {
    const ref = this.refOf(target);
    const current = await this.describeKey(target, ref, ref.aliasName, 'move the alias of');
    if (current.keyId !== request.toKeyId) {
      if (current.keyId !== request.expectedCurrentKeyId) throw aliasMoved(target, current.keyId, request.expectedCurrentKeyId);
      const next = await this.describeKey(target, ref, request.toKeyId, 'move the alias of');
      if (next.state !== 'Enabled') {
        throw new RotorError(
          'conflict',
          `The new key ${next.keyId} of ${target.secretName} is ${next.state}, so the alias ${ref.aliasName} was not moved to it. Enable it first.`,
        );
      }
      await this.call(target, ref, `move ${ref.aliasName} of`, (client, signal) =>
        client.send(new UpdateAliasCommand({ AliasName: ref.aliasName, TargetKeyId: request.toKeyId }), { abortSignal: signal }),
      );
    }
    await this.dropPendingAlias(target, ref, request.toKeyId);
  }

  /**
   * The alias resolves to `expectedKeyId`, and for symmetric encryption keys a random
   * plaintext encrypted through the alias decrypts to itself with that key.
   */
  async verify(target: ProviderTarget, request: { expectedKeyId: string }): Promise<KmsVerification> {
    const ref = this.refOf(target);
    const key = await this.describeKey(target, ref, ref.aliasName, 'verify');
    if (key.keyId !== request.expectedKeyId) throw aliasMoved(target, key.keyId, request.expectedKeyId);
    if (key.keySpec !== 'SYMMETRIC_DEFAULT' || key.keyUsage !== 'ENCRYPT_DECRYPT')
      return { keyId: key.keyId, keyArn: key.keyArn, roundTrip: 'not_applicable' };
    const plaintext = randomBytes(32);
    const context = { purpose: 'rotor-verify' };
    const encrypted = await this.call(target, ref, 'encrypt a test value through the alias of', (client, signal) =>
      client.send(new EncryptCommand({ KeyId: ref.aliasName, Plaintext: plaintext, EncryptionContext: context }), { abortSignal: signal }),
    );
    const decrypted = await this.call(target, ref, 'decrypt the test value through the alias of', (client, signal) =>
      client.send(new DecryptCommand({ KeyId: ref.aliasName, CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }), {
        abortSignal: signal,
      }),
    );
    const usedKey = [encrypted.KeyId, decrypted.KeyId].every((id) => id === key.keyArn || id === key.keyId);
    const roundTripped =
      decrypted.Plaintext !== undefined &&
      decrypted.Plaintext.length === plaintext.length &&
      timingSafeEqual(Buffer.from(decrypted.Plaintext), plaintext);
    if (!usedKey || !roundTripped) {
      throw new RotorError(
        'provider',
        `The encrypt/decrypt round trip through ${ref.aliasName} of ${target.secretName} did not ${roundTripped ? `use key ${key.keyId} (KMS used ${encrypted.KeyId ?? 'an unnamed key'})` : 'give back the test value'}. Check the alias with \`aws kms describe-key --key-id ${ref.aliasName}\` before continuing.`,
      );
    }
    return { keyId: key.keyId, keyArn: key.keyArn, roundTrip: 'passed' };
  }

  /**
   * Schedules the deletion of a key the alias no longer points at, with a pending window of
   * 7-30 days (validated here: not every KMS implementation refuses other values). A key
   * already pending deletion keeps its date.
   */
  async scheduleDeletion(target: ProviderTarget, request: { keyId: string; pendingWindowDays: number }): Promise<ScheduledDeletion> {
    validatePendingWindow(request.pendingWindowDays);
    const ref = this.refOf(target);
    await this.refuseIfAliasPointsAt(target, ref, request.keyId, 'scheduled for deletion');
    const key = await this.describeKey(target, ref, request.keyId, 'schedule the deletion of the old key of');
    // A successor that never went live (an abandoned rotation) leaves the pending alias free for the next one.
    await this.dropPendingAlias(target, ref, key.keyId);
    if (key.state === 'PendingDeletion' && key.deletionDate)
      return { keyId: key.keyId, keyArn: key.keyArn, deletionDate: key.deletionDate, scheduledNow: false };
    const scheduled = await this.call(target, ref, `schedule the deletion of key ${request.keyId} of`, (client, signal) =>
      client.send(new ScheduleKeyDeletionCommand({ KeyId: request.keyId, PendingWindowInDays: request.pendingWindowDays }), {
        abortSignal: signal,
      }),
    );
    if (!scheduled.DeletionDate) {
      throw new RotorError(
        'provider',
        `KMS accepted the deletion of key ${request.keyId} of ${target.secretName} but gave no deletion date. Check the key with \`aws kms describe-key --key-id ${request.keyId}\`.`,
      );
    }
    return { keyId: key.keyId, keyArn: key.keyArn, deletionDate: scheduled.DeletionDate.toISOString(), scheduledNow: true };
  }

  /**
   * Undoes a rotation inside its window: cancels the old key's scheduled deletion (which
   * leaves it Disabled, so it is enabled again), then moves the alias back to it.
   */
  async rollback(target: ProviderTarget, request: { toKeyId: string; fromKeyId: string }): Promise<KmsRollback> {
    const ref = this.refOf(target);
    const key = await this.describeKey(target, ref, request.toKeyId, 'roll back');
    let cancelledDeletion = false;
    let state = key.state;
    if (state === 'PendingDeletion') {
      await this.call(target, ref, `cancel the deletion of key ${request.toKeyId} of`, (client, signal) =>
        client.send(new CancelKeyDeletionCommand({ KeyId: request.toKeyId }), { abortSignal: signal }),
      );
      cancelledDeletion = true;
      state = 'Disabled';
    }
    let reenabled = false;
    if (state === 'Disabled') {
      await this.call(target, ref, `enable key ${request.toKeyId} of`, (client, signal) =>
        client.send(new EnableKeyCommand({ KeyId: request.toKeyId }), { abortSignal: signal }),
      );
      reenabled = true;
    } else if (state !== 'Enabled') {
      throw new RotorError('conflict', `Key ${request.toKeyId} of ${target.secretName} is ${state}, so the alias cannot move back to it.`);
    }
    await this.moveAlias(target, { toKeyId: request.toKeyId, expectedCurrentKeyId: request.fromKeyId });
    return { keyId: request.toKeyId, cancelledDeletion, reenabled };
  }

  /**
   * Lets KMS rotate the key material itself (same key id, same alias) every `periodDays`
   * (90-2560). Symmetric encryption keys with KMS-generated material only.
   */
  async enableAutomaticRotation(
    target: ProviderTarget,
    request: { periodDays: number },
  ): Promise<KmsAliasDescription['automaticRotation'] & { keyId: string }> {
    validateAutomaticRotationPeriod(request.periodDays);
    const ref = this.refOf(target);
    const key = await this.describeKey(target, ref, ref.aliasName, 'enable automatic rotation of');
    if (key.keySpec !== 'SYMMETRIC_DEFAULT' || key.origin !== 'AWS_KMS') {
      throw new RotorError(
        'validation',
        `KMS rotates only symmetric encryption keys with KMS-generated material automatically; key ${key.keyId} of ${target.secretName} is ${key.keySpec} from ${key.origin}. Rotate it by replacing the key instead.`,
      );
    }
    await this.call(target, ref, 'enable automatic rotation of', (client, signal) =>
      client.send(new EnableKeyRotationCommand({ KeyId: key.keyId, RotationPeriodInDays: request.periodDays }), { abortSignal: signal }),
    );
    return { keyId: key.keyId, ...(await this.rotationStatusOf(target, ref, key)) };
  }

  /** The rotations KMS performed on the alias's key (automatic and on demand), oldest first, for `rotor sync`. */
  async listRotations(target: ProviderTarget): Promise<KmsRotationEntry[]> {
    const ref = this.refOf(target);
    return this.listRotationsOf(target, await this.describeKey(target, ref, ref.aliasName, 'list the rotations of'));
  }

  /** The same for a key already described; none for a key KMS cannot rotate (asymmetric, HMAC, imported material). */
  async listRotationsOf(target: ProviderTarget, key: KmsKeyFacts): Promise<KmsRotationEntry[]> {
    if (key.keySpec !== 'SYMMETRIC_DEFAULT' || key.origin !== 'AWS_KMS') return [];
    const ref = this.refOf(target);
    const entries: KmsRotationEntry[] = [];
    let marker: string | undefined;
    do {
      const page = await this.call(target, ref, 'list the rotations of', (client, signal) =>
        client.send(new ListKeyRotationsCommand({ KeyId: key.keyId, Marker: marker }), { abortSignal: signal }),
      );
      for (const rotation of page.Rotations ?? []) {
        entries.push({
          keyId: rotation.KeyId ?? key.keyId,
          rotatedAt: rotation.RotationDate?.toISOString() ?? null,
          type: rotation.RotationType ?? 'AUTOMATIC',
        });
      }
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    return entries.sort((a, b) => (a.rotatedAt ?? '').localeCompare(b.rotatedAt ?? ''));
  }

  /** `/revoke`: disables a key at once, once the alias has moved off it. */
  async disableKey(
    target: ProviderTarget,
    request: { keyId: string },
  ): Promise<{ keyId: string; action: 'disabled' | 'already_disabled' | 'pending_deletion' }> {
    const ref = this.refOf(target);
    await this.refuseIfAliasPointsAt(target, ref, request.keyId, 'disabled');
    const key = await this.describeKey(target, ref, request.keyId, 'disable the compromised key of');
    if (key.state === 'Disabled') return { keyId: key.keyId, action: 'already_disabled' };
    if (key.state === 'PendingDeletion') return { keyId: key.keyId, action: 'pending_deletion' };
    await this.call(target, ref, `disable key ${request.keyId} of`, (client, signal) =>
      client.send(new DisableKeyCommand({ KeyId: request.keyId }), { abortSignal: signal }),
    );
    return { keyId: key.keyId, action: 'disabled' };
  }

  /** Adds or overwrites tags on a key (TagResource merges; other tags stay). */
  async tagKey(target: ProviderTarget, request: { keyId: string; tags: Record<string, string> }): Promise<void> {
    const ref = this.refOf(target);
    await this.call(target, ref, `tag key ${request.keyId} of`, (client, signal) =>
      client.send(
        new TagResourceCommand({
          KeyId: request.keyId,
          Tags: Object.entries(request.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
        }),
        { abortSignal: signal },
      ),
    );
  }

  /** What KMS says of one key, by its id or ARN. */
  keyFacts(target: ProviderTarget, keyId: string): Promise<KmsKeyFacts> {
    return this.describeKey(target, this.refOf(target), keyId, 'look up a key of');
  }

  /** What a person runs to see which key the alias names now (key material is never shown). */
  retrievalLine(target: ProviderTarget): string {
    const ref = this.refOf(target);
    return `aws kms describe-key --key-id ${ref.aliasName}${ref.region ? ` --region ${ref.region}` : ''} --query KeyMetadata.Arn --output text`;
  }

  /** Closes the SDK's sockets; call on shutdown. */
  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  private refOf(target: ProviderTarget): KmsAliasRef {
    return parseKmsAliasRef(target.secretName, target.providerRef);
  }

  private async refuseIfAliasPointsAt(target: ProviderTarget, ref: KmsAliasRef, keyId: string, what: string): Promise<void> {
    const current = await this.describeKey(target, ref, ref.aliasName, 'check the alias of');
    if (current.keyId === keyId || current.keyArn === keyId) {
      throw new RotorError(
        'conflict',
        `${ref.aliasName} of ${target.secretName} still points at key ${current.keyId}, so it cannot be ${what}. Move the alias to a new key first.`,
      );
    }
  }

  private async dropPendingAlias(target: ProviderTarget, ref: KmsAliasRef, keyId: string): Promise<void> {
    const pendingAlias = pendingAliasOf(ref.aliasName);
    const pending = await this.describeKeyIfExists(target, ref, pendingAlias);
    if (pending?.keyId !== keyId) return;
    await this.call(target, ref, `delete ${pendingAlias} of`, (client, signal) =>
      client.send(new DeleteAliasCommand({ AliasName: pendingAlias }), { abortSignal: signal }),
    );
  }

  private async describeKey(target: ProviderTarget, ref: KmsAliasRef, keyId: string, action: string): Promise<KmsKeyFacts> {
    const described = await this.call(target, ref, action, (client, signal) =>
      client.send(new DescribeKeyCommand({ KeyId: keyId }), { abortSignal: signal }),
    );
    return factsOf(described.KeyMetadata);
  }

  private async describeKeyIfExists(target: ProviderTarget, ref: KmsAliasRef, keyId: string): Promise<KmsKeyFacts | null> {
    try {
      return await this.describeKey(target, ref, keyId, 'look up');
    } catch (error) {
      if (error instanceof RotorError && error.code === 'not_found') return null;
      throw error;
    }
  }

  private async tagsOf(target: ProviderTarget, ref: KmsAliasRef, keyId: string): Promise<Record<string, string>> {
    const tags: Record<string, string> = {};
    let marker: string | undefined;
    do {
      const page = await this.call(target, ref, 'read the tags of', (client, signal) =>
        client.send(new ListResourceTagsCommand({ KeyId: keyId, Marker: marker }), { abortSignal: signal }),
      );
      for (const tag of page.Tags ?? []) tags[tag.TagKey ?? ''] = tag.TagValue ?? '';
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    return tags;
  }

  private async policyOf(target: ProviderTarget, ref: KmsAliasRef, keyId: string): Promise<string | null> {
    try {
      const read = await this.call(target, ref, 'read the key policy of', (client, signal) =>
        client.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }), { abortSignal: signal }),
      );
      return read.Policy ?? null;
    } catch (error) {
      if (error instanceof RotorError && error.code === 'forbidden') return null;
      throw error;
    }
  }

  private async rotationStatusOf(
    target: ProviderTarget,
    ref: KmsAliasRef,
    key: KmsKeyFacts,
  ): Promise<KmsAliasDescription['automaticRotation']> {
    // KMS answers UnsupportedOperationException for keys it cannot rotate (asymmetric, HMAC, imported).
    if (key.keySpec !== 'SYMMETRIC_DEFAULT' || key.origin !== 'AWS_KMS') return { enabled: false, periodDays: null, nextRotationAt: null };
    const status = await this.call(target, ref, 'read the rotation status of', (client, signal) =>
      client.send(new GetKeyRotationStatusCommand({ KeyId: key.keyId }), { abortSignal: signal }),
    );
    return {
      enabled: status.KeyRotationEnabled === true,
      periodDays: status.RotationPeriodInDays ?? null,
      nextRotationAt: status.NextRotationDate?.toISOString() ?? null,
    };
  }

  private async call<T>(
    target: ProviderTarget,
    ref: KmsAliasRef,
    action: string,
    send: (client: KMSClient, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const client = this.clientFor(ref.region);
    try {
      return await callWithRetry((signal) => send(client, signal), { policy: this.retry, isTransient: isTransientKmsError });
    } catch (error) {
      throw translateKmsError(error, target, action);
    }
  }

  private clientFor(region: string | null): KMSClient {
    const key = region ?? '';
    let client = this.clients.get(key);
    if (!client) {
      const chosenRegion = region ?? this.options.defaultRegion;
      client = new KMSClient({
        ...(chosenRegion ? { region: chosenRegion } : {}),
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        maxAttempts: 1,
        requestHandler: { connectionTimeout: this.retry.timeoutMs, requestTimeout: this.retry.timeoutMs },
      });
      this.clients.set(key, client);
    }
    return client;
  }
}

function factsOf(metadata: KeyMetadata | undefined): KmsKeyFacts {
  if (!metadata?.KeyId || !metadata.Arn)
    throw new RotorError('provider', 'KMS answered without the key metadata it always sends; try again.');
  return {
    keyId: metadata.KeyId,
    keyArn: metadata.Arn,
    state: metadata.KeyState ?? (metadata.Enabled ? 'Enabled' : 'Disabled'),
    keySpec: metadata.KeySpec ?? 'SYMMETRIC_DEFAULT',
    keyUsage: metadata.KeyUsage ?? 'ENCRYPT_DECRYPT',
    description: metadata.Description ?? '',
    origin: metadata.Origin ?? 'AWS_KMS',
    manager: metadata.KeyManager ?? 'CUSTOMER',
    multiRegion: metadata.MultiRegion === true,
    createdAt: metadata.CreationDate?.toISOString() ?? null,
    deletionDate: metadata.DeletionDate?.toISOString() ?? null,
  };
}

function aliasMoved(target: ProviderTarget, actual: string, expected: string): RotorError {
  return new RotorError(
    'conflict',
    `${target.providerRef} of ${target.secretName} points at key ${actual}, not ${expected} as Rotor expected: someone moved the alias meanwhile. Run \`rotor sync\` (or reopen the rotation) to pick it up, then continue.`,
  );
}
