import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
  type DescribeSecretResponse,
  type Filter,
} from '@aws-sdk/client-secrets-manager';
import { RotorError } from '../../core/errors.js';
import { callWithRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../call-with-retry.js';
import { createFingerprinter, fingerprintRead, type Fingerprinter } from '../fingerprint.js';
import { asAwsTags } from '../provenance-tags.js';
import type {
  CreatedVersion,
  CreateVersionRequest,
  DisabledVersion,
  DisableVersionRequest,
  DiscoveredSecret,
  DiscoveryFilter,
  PromoteRequest,
  ProviderTarget,
  ReadOptions,
  RestoreRequest,
  SecretDescription,
  SecretProvider,
  ValueShape,
  VersionFingerprint,
  VersionSummary,
} from '../secret-provider.js';
import { placeInText, shapeOfText } from '../value-shape.js';
import { isTransientAwsError, translateAwsError } from './aws-errors.js';
import { AwsReplicaChecker } from './aws-replicas.js';
import { parseAwsSecretRef, type AwsSecretRef } from './aws-secret-ref.js';

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';

export interface AwsProviderOptions {
  retry?: RetryPolicy;
  /**
   * Produces the value of a Rotor-generated version. Defaults to Secrets Manager's
   * `GetRandomPassword`, so the value is born at AWS and only passes through Rotor's memory.
   */
  generateValue?: (generate: () => Promise<string>) => Promise<string>;
  /** Region when neither the reference nor the SDK's chain gives one. */
  defaultRegion?: string;
  /** An explicit endpoint; without it the SDK applies `AWS_ENDPOINT_URL` itself. */
  endpoint?: string;
  /** An endpoint per replica region (VPC endpoints); without it `endpoint`, then the SDK's own. */
  replicaEndpointFor?: (region: string) => string | undefined;
  /** Keyed with ROTOR_FINGERPRINT_KEY; plain SHA-256 by default. */
  fingerprinter?: Fingerprinter;
}

/**
 * AWS Secrets Manager behind the provider port. Region and credentials come from the SDK's
 * standard chain and the endpoint from `AWS_ENDPOINT_URL` (honoured by this SDK release).
 * The SDK's own retries are off (`maxAttempts: 1`) so that `callWithRetry` is the one place
 * retries, backoff and timeouts happen.
 */
export class AwsSecretsManagerProvider implements SecretProvider {
  readonly kind = 'aws' as const;
  private readonly clients = new Map<string, SecretsManagerClient>();
  private readonly retry: RetryPolicy;
  private readonly fingerprints: Fingerprinter;
  private readonly replicaChecker: AwsReplicaChecker;

  constructor(private readonly options: AwsProviderOptions = {}) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.fingerprints = options.fingerprinter ?? createFingerprinter(null);
    this.replicaChecker = new AwsReplicaChecker({
      retry: this.retry,
      fingerprinter: this.fingerprints,
      ...(options.defaultRegion ? { defaultRegion: options.defaultRegion } : {}),
      endpointFor: (region) => options.replicaEndpointFor?.(region) ?? options.endpoint,
    });
  }

  async validateReference(target: ProviderTarget): Promise<void> {
    await this.describeSecret(target, parseAwsSecretRef(target.secretName, target.providerRef), 'look up');
  }

  async describe(target: ProviderTarget): Promise<SecretDescription> {
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    const secret = await this.describeSecret(target, ref, 'describe');
    const listed = await this.call(target, ref, 'list the versions of', (client, signal) =>
      client.send(new ListSecretVersionIdsCommand({ SecretId: ref.secretId, IncludeDeprecated: false, MaxResults: 100 }), {
        abortSignal: signal,
      }),
    );
    const created = new Map((listed.Versions ?? []).map((version) => [version.VersionId ?? '', version.CreatedDate ?? null]));
    const versions: VersionSummary[] = Object.entries(secret.VersionIdsToStages ?? {}).map(([versionId, labels]) => ({
      versionId,
      createdAt: created.get(versionId)?.toISOString() ?? null,
      labels: [...labels].sort(),
    }));
    const current = versions.find((version) => version.labels.includes(CURRENT)) ?? null;
    const others = versions.filter((version) => version !== current).sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    return {
      current,
      others,
      lastRotatedAt: secret.LastRotatedDate?.toISOString() ?? null,
      lastChangedAt: secret.LastChangedDate?.toISOString() ?? null,
      tags: Object.fromEntries((secret.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
      location: secret.ARN ?? null,
      region: secret.ARN?.split(':')[3] || null,
      rotationConfigured: secret.RotationEnabled === true,
      limits: { maxVersions: null, deleteVersionAfterSeconds: null },
      replicas: (secret.ReplicationStatus ?? [])
        .map((replica) => ({ region: replica.Region ?? '', status: replica.Status ?? 'Unknown', message: replica.StatusMessage ?? null }))
        .sort((a, b) => a.region.localeCompare(b.region)),
    };
  }

  async createVersion(target: ProviderTarget, request: CreateVersionRequest): Promise<CreatedVersion> {
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    const secret = await this.describeSecret(target, ref, 'create a new version of');
    // The request token doubles as the version id and makes a retried call idempotent.
    const token = request.requestToken ?? randomUUID();
    // A retry after a crash: the version this token names already exists, so adopt it (a
    // rotation function may even have made it current already).
    if ((secret.VersionIdsToStages ?? {})[token]) {
      if (secret.RotationEnabled === true) return { versionId: token, fingerprint: null, promotedOnCreate: false };
      return { versionId: token, fingerprint: (await this.readVersion(target, token)).fingerprint, promotedOnCreate: false };
    }
    this.refuseIfCurrentMoved(target, secret, request.expectedCurrentVersionId);
    if (secret.RotationEnabled === true) {
      const rotated = await this.call(target, ref, 'start the configured rotation of', (client, signal) =>
        client.send(new RotateSecretCommand({ SecretId: ref.secretId, ClientRequestToken: token }), { abortSignal: signal }),
      );
      return { versionId: rotated.VersionId ?? token, fingerprint: null, promotedOnCreate: false };
    }
    const base = request.placement?.kind === 'whole' ? null : await this.readText(target, ref, currentVersionOf(secret));
    const generate = () => this.generatePassword(target, ref);
    const generated = this.options.generateValue ? await this.options.generateValue(generate) : await generate();
    // A JSON object keeps every key but the credential field; a plain string is replaced whole.
    const value = base === null ? generated : placeInText(target, base, request.placement, generated);
    const fingerprint = this.fingerprints.of(value);
    await request.beforeWrite?.({ versionId: token, fingerprint });
    const written = await this.call(target, ref, 'write a new version of', (client, signal) =>
      client.send(
        new PutSecretValueCommand({ SecretId: ref.secretId, ClientRequestToken: token, SecretString: value, VersionStages: [PENDING] }),
        {
          abortSignal: signal,
        },
      ),
    );
    return { versionId: written.VersionId ?? token, fingerprint, promotedOnCreate: false };
  }

  async describeShape(target: ProviderTarget): Promise<ValueShape> {
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    const read = await this.call(target, ref, 'read the shape of', (client, signal) =>
      client.send(new GetSecretValueCommand({ SecretId: ref.secretId, VersionStage: CURRENT }), { abortSignal: signal }),
    );
    if (read.SecretString === undefined) return { kind: 'other', what: read.SecretBinary ? 'binary data (SecretBinary)' : 'no value' };
    return shapeOfText(read.SecretString);
  }

  /** The text of a version (the current one when `versionId` is null), for a new version built on it. */
  private async readText(target: ProviderTarget, ref: AwsSecretRef, versionId: string | null): Promise<string> {
    const read = await this.call(target, ref, 'read the current version of', (client, signal) =>
      client.send(
        new GetSecretValueCommand({ SecretId: ref.secretId, ...(versionId ? { VersionId: versionId } : { VersionStage: CURRENT }) }),
        { abortSignal: signal },
      ),
    );
    if (read.SecretString === undefined) {
      throw new RotorError(
        'conflict',
        `The current value of ${target.secretName} is ${read.SecretBinary ? 'binary data (SecretBinary)' : 'empty'}, so Rotor wrote nothing: a generated value keeps the shape of the current one. Set its value source to issuer and write the new value yourself.`,
      );
    }
    return read.SecretString;
  }

  async lendValue<T>(target: ProviderTarget, versionId: string | null, use: (text: string) => Promise<T>): Promise<T> {
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    const read = await this.call(
      target,
      ref,
      versionId ? `read version ${versionId} of` : 'read the current version of',
      (client, signal) =>
        client.send(
          new GetSecretValueCommand({ SecretId: ref.secretId, ...(versionId ? { VersionId: versionId } : { VersionStage: CURRENT }) }),
          {
            abortSignal: signal,
          },
        ),
    );
    if (read.SecretString === undefined || read.SecretString.length === 0)
      throw new RotorError(
        'conflict',
        `${versionId ? `Version ${versionId}` : 'The current version'} of ${target.secretName} in AWS Secrets Manager holds no text value, so it names no credential to set at its target.`,
      );
    return use(read.SecretString);
  }

  async promote(target: ProviderTarget, request: PromoteRequest): Promise<void> {
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    const secret = await this.describeSecret(target, ref, 'promote a version of');
    const stages = secret.VersionIdsToStages ?? {};
    const newLabels = stages[request.newVersionId];
    if (!newLabels) {
      throw new RotorError(
        'not_found',
        `Version ${request.newVersionId} of ${target.secretName} no longer exists in AWS Secrets Manager; create a new version again.`,
      );
    }
    const currentId = currentVersionOf(secret);
    // Promoting twice (a resumed step) is harmless: the version is already current.
    if (currentId !== request.newVersionId) {
      this.refuseIfCurrentMoved(target, secret, request.expectedCurrentVersionId);
      await this.moveLabel(target, ref, CURRENT, request.newVersionId, currentId);
    }
    if (newLabels.includes(PENDING)) await this.moveLabel(target, ref, PENDING, null, request.newVersionId);
  }

  async readCurrent(target: ProviderTarget, options: ReadOptions = {}): Promise<VersionFingerprint> {
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    // Always name the stage: without it some implementations return a stale version.
    const read = await this.call(target, ref, 'read back the current version of', (client, signal) =>
      client.send(new GetSecretValueCommand({ SecretId: ref.secretId, VersionStage: CURRENT }), { abortSignal: signal }),
    );
    const value = read.SecretString ?? read.SecretBinary;
    if (value === undefined || value.length === 0 || !read.VersionId) {
      throw new RotorError(
        'provider',
        `The current version of ${target.secretName} in AWS Secrets Manager holds no value (a rotation function that did not finish?). Check the rotation in AWS before continuing.`,
      );
    }
    const fingerprinted = { versionId: read.VersionId, ...fingerprintRead(this.fingerprints, value, options) };
    if (!options.everyReplica) return fingerprinted;
    // Each replica region is read on its own: "InSync" is only what the primary believes.
    const replicas = await this.replicaChecker.verifyReplicas(target, {
      versionId: read.VersionId,
      fingerprint: fingerprinted.fingerprint,
    });
    return replicas.length === 0
      ? fingerprinted
      : { ...fingerprinted, checks: { replicasVerified: replicas.map((replica) => replica.region).join(', ') } };
  }

  async readVersion(target: ProviderTarget, versionId: string): Promise<VersionFingerprint> {
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    const read = await this.call(target, ref, `read version ${versionId} of`, (client, signal) =>
      client.send(new GetSecretValueCommand({ SecretId: ref.secretId, VersionId: versionId }), { abortSignal: signal }),
    );
    const value = read.SecretString ?? read.SecretBinary;
    if (value === undefined || value.length === 0) {
      throw new RotorError(
        'provider',
        `Version ${versionId} of ${target.secretName} in AWS Secrets Manager holds no value yet (a rotation function still running?). Try again in a minute.`,
      );
    }
    return { versionId, fingerprint: this.fingerprints.of(value) };
  }

  async restoreVersion(target: ProviderTarget, request: RestoreRequest): Promise<VersionFingerprint> {
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    const secret = await this.describeSecret(target, ref, 'roll back');
    if (!(secret.VersionIdsToStages ?? {})[request.versionId]) {
      throw new RotorError(
        'not_found',
        `Version ${request.versionId} of ${target.secretName} no longer exists in AWS Secrets Manager (removed or deprecated), so it cannot be restored. Write a new version instead.`,
      );
    }
    const currentId = currentVersionOf(secret);
    if (currentId !== request.versionId) {
      this.refuseIfCurrentMoved(target, secret, request.expectedCurrentVersionId);
      await this.moveLabel(target, ref, CURRENT, request.versionId, currentId);
    }
    return this.readCurrent(target);
  }

  async deprecateVersion(target: ProviderTarget, versionId: string): Promise<void> {
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    const secret = await this.describeSecret(target, ref, 'deprecate a version of');
    const labels = (secret.VersionIdsToStages ?? {})[versionId] ?? [];
    if (labels.includes(CURRENT)) {
      throw new RotorError(
        'conflict',
        `Version ${versionId} of ${target.secretName} is still AWSCURRENT, so it cannot be deprecated. Promote the new version first.`,
      );
    }
    for (const label of labels) await this.moveLabel(target, ref, label, null, versionId);
  }

  async disableVersion(target: ProviderTarget, request: DisableVersionRequest): Promise<DisabledVersion> {
    if (request.destroy) {
      throw new RotorError(
        'validation',
        `Destroying a version is a Vault-only action; for ${target.secretName} in AWS the compromised version's labels are removed instead.`,
      );
    }
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    const secret = await this.describeSecret(target, ref, 'disable a version of');
    if (currentVersionOf(secret) === request.versionId) {
      if (!request.replacementVersionId) {
        throw new RotorError(
          'conflict',
          `Version ${request.versionId} of ${target.secretName} is AWSCURRENT; create the replacement version first so AWSCURRENT can move to it, then disable the compromised one.`,
        );
      }
      await this.moveLabel(target, ref, CURRENT, request.replacementVersionId, request.versionId);
    }
    // Moving AWSCURRENT hands AWSPREVIOUS to the compromised version, so read the labels afresh.
    const after = await this.describeSecret(target, ref, 'disable a version of');
    for (const label of (after.VersionIdsToStages ?? {})[request.versionId] ?? []) {
      await this.moveLabel(target, ref, label, null, request.versionId);
    }
    return { versionId: request.versionId, action: 'labels_removed' };
  }

  async listForDiscovery(filter: DiscoveryFilter): Promise<DiscoveredSecret[]> {
    const target: ProviderTarget = { secretName: 'secrets', providerRef: '*' };
    const ref: AwsSecretRef = { secretId: '*', region: null };
    const filters: Filter[] | undefined = filter.tagKey ? [{ Key: 'tag-key', Values: [filter.tagKey] }] : undefined;
    const found: DiscoveredSecret[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call(target, ref, 'list', (client, signal) =>
        client.send(new ListSecretsCommand({ Filters: filters, MaxResults: 100, NextToken: nextToken }), { abortSignal: signal }),
      );
      for (const entry of page.SecretList ?? []) {
        const tags = Object.fromEntries((entry.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
        // Filters match tag keys by prefix; keep exact matches only.
        if (filter.tagKey && !(filter.tagKey in tags)) continue;
        found.push({
          providerRef: entry.ARN ?? entry.Name ?? '',
          storeName: entry.Name ?? '',
          tags,
          lastRotatedAt: entry.LastRotatedDate?.toISOString() ?? null,
          lastChangedAt: entry.LastChangedDate?.toISOString() ?? null,
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return found;
  }

  /**
   * Adds or overwrites tags on the secret (provenance: `version`, `rotated_by`); other tags
   * stay. On a replicated secret Secrets Manager copies the tags to its replicas.
   */
  async tagSecret(target: ProviderTarget, tags: Record<string, string>): Promise<void> {
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    await this.call(target, ref, 'tag', (client, signal) =>
      client.send(new TagResourceCommand({ SecretId: ref.secretId, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }), {
        abortSignal: signal,
      }),
    );
  }

  /** Provenance tags, cleaned to what Secrets Manager accepts (see provenance-tags.ts). */
  writeProvenance(target: ProviderTarget, tags: Record<string, string>): Promise<void> {
    return this.tagSecret(target, asAwsTags(tags));
  }

  private async generatePassword(target: ProviderTarget, ref: AwsSecretRef): Promise<string> {
    const generated = await this.call(target, ref, 'generate a new value for', (client, signal) =>
      client.send(new GetRandomPasswordCommand({ PasswordLength: 48, ExcludePunctuation: true }), { abortSignal: signal }),
    );
    if (!generated.RandomPassword) throw new RotorError('provider', `AWS returned no generated value for ${target.secretName}; try again.`);
    return generated.RandomPassword;
  }

  private describeSecret(target: ProviderTarget, ref: AwsSecretRef, action: string): Promise<DescribeSecretResponse> {
    return this.call(target, ref, action, (client, signal) =>
      client.send(new DescribeSecretCommand({ SecretId: ref.secretId }), { abortSignal: signal }),
    );
  }

  private async moveLabel(target: ProviderTarget, ref: AwsSecretRef, stage: string, to: string | null, from: string | null): Promise<void> {
    await this.call(target, ref, `move the ${stage} label of`, (client, signal) =>
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: ref.secretId,
          VersionStage: stage,
          MoveToVersionId: to ?? undefined,
          RemoveFromVersionId: from ?? undefined,
        }),
        { abortSignal: signal },
      ),
    );
  }

  private refuseIfCurrentMoved(target: ProviderTarget, secret: DescribeSecretResponse, expected: string | null): void {
    const current = currentVersionOf(secret);
    if (expected !== null && current !== expected) {
      throw new RotorError(
        'conflict',
        `The current version of ${target.secretName} in AWS is ${current ?? 'none'}, not ${expected} as Rotor expected: someone rotated it meanwhile. Run \`rotor sync\` (or reopen the rotation) to pick up the new version, then continue.`,
      );
    }
  }

  private async call<T>(
    target: ProviderTarget,
    ref: AwsSecretRef,
    action: string,
    send: (client: SecretsManagerClient, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const client = this.clientFor(ref.region);
    try {
      return await callWithRetry((signal) => send(client, signal), { policy: this.retry, isTransient: isTransientAwsError });
    } catch (error) {
      throw translateAwsError(error, target, action);
    }
  }

  private clientFor(region: string | null): SecretsManagerClient {
    const key = region ?? '';
    let client = this.clients.get(key);
    if (!client) {
      const chosenRegion = region ?? this.options.defaultRegion;
      client = new SecretsManagerClient({
        ...(chosenRegion ? { region: chosenRegion } : {}),
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        maxAttempts: 1,
        requestHandler: { connectionTimeout: this.retry.timeoutMs, requestTimeout: this.retry.timeoutMs },
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** Closes the SDK's sockets; call on shutdown. */
  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
    this.replicaChecker.destroy();
  }
}

function currentVersionOf(secret: DescribeSecretResponse): string | null {
  const entry = Object.entries(secret.VersionIdsToStages ?? {}).find(([, labels]) => labels.includes(CURRENT));
  return entry ? entry[0] : null;
}
