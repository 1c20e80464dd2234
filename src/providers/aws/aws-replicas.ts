import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RotorError } from '../../core/errors.js';
import { callWithRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../call-with-retry.js';
import { createFingerprinter, type Fingerprinter } from '../fingerprint.js';
import type { ProviderTarget } from '../secret-provider.js';
import { isTransientAwsError, translateAwsError } from './aws-errors.js';
import { parseAwsSecretRef, replicaSecretId } from './aws-secret-ref.js';

/** One replica of a secret, as the primary's `DescribeSecret` reports it. */
export interface ReplicaStatus {
  region: string;
  /** InSync, InProgress or Failed. */
  status: string;
  message: string | null;
}

export interface ReplicaCheck {
  region: string;
  versionId: string;
  sameValue: boolean;
}

export interface AwsReplicaOptions {
  retry?: RetryPolicy;
  /** Region when neither the reference nor the SDK's chain gives one (the primary's). */
  defaultRegion?: string;
  /** An explicit endpoint per region (tests, VPC endpoints); without it the SDK's own. */
  endpointFor?: (region: string) => string | undefined;
  /** Keyed with ROTOR_FINGERPRINT_KEY; plain SHA-256 by default. */
  fingerprinter?: Fingerprinter;
}

/**
 * Secrets Manager secrets replicated to other regions: the primary lists its replicas and
 * their state, and each replica region is read on its own, since "InSync" is only what the
 * primary believes. A replica that lags is named by its region.
 */
export class AwsReplicaChecker {
  private readonly clients = new Map<string, SecretsManagerClient>();
  private readonly retry: RetryPolicy;
  private readonly fingerprints: Fingerprinter;

  constructor(private readonly options: AwsReplicaOptions = {}) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.fingerprints = options.fingerprinter ?? createFingerprinter(null);
  }

  /** The replicas the primary reports (none for a secret that is not replicated). */
  private async replicas(target: ProviderTarget): Promise<ReplicaStatus[]> {
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    const described = await this.call(target, ref.region, 'list the replicas of', (client, signal) =>
      client.send(new DescribeSecretCommand({ SecretId: ref.secretId }), { abortSignal: signal }),
    );
    return (described.ReplicationStatus ?? [])
      .map((replica) => ({ region: replica.Region ?? '', status: replica.Status ?? 'Unknown', message: replica.StatusMessage ?? null }))
      .sort((a, b) => a.region.localeCompare(b.region));
  }

  /**
   * After promotion: reads AWSCURRENT in every replica region and checks it is the version
   * Rotor made, with the same value. Fails naming each region that lags or cannot be read.
   */
  async verifyReplicas(target: ProviderTarget, expected: { versionId: string; fingerprint: string | null }): Promise<ReplicaCheck[]> {
    const ref = parseAwsSecretRef(target.secretName, target.providerRef);
    const checks: ReplicaCheck[] = [];
    const problems: string[] = [];
    let unreachable = false;
    for (const replica of await this.replicas(target)) {
      try {
        const read = await this.call(target, replica.region, `read the replica in ${replica.region} of`, (client, signal) =>
          client.send(new GetSecretValueCommand({ SecretId: replicaSecretId(ref, replica.region), VersionStage: 'AWSCURRENT' }), {
            abortSignal: signal,
          }),
        );
        const value = read.SecretString ?? read.SecretBinary;
        const sameValue = value !== undefined && (expected.fingerprint === null || this.fingerprints.matches(value, expected.fingerprint));
        checks.push({ region: replica.region, versionId: read.VersionId ?? '', sameValue });
        if (read.VersionId !== expected.versionId)
          problems.push(`${replica.region} still serves version ${read.VersionId ?? 'none'}, not ${expected.versionId}`);
        else if (!sameValue) problems.push(`${replica.region} serves version ${expected.versionId} with a different value`);
      } catch (error) {
        unreachable ||= error instanceof RotorError && error.code === 'provider_unavailable';
        problems.push(`${replica.region} could not be read (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    if (problems.length > 0) {
      throw new RotorError(
        unreachable ? 'provider_unavailable' : 'conflict',
        `The new version of ${target.secretName} has not reached every replica: ${problems.join('; ')}. Wait for replication and verify again, or check the replica in AWS.`,
      );
    }
    return checks;
  }

  /** Closes the SDK's sockets; call on shutdown. */
  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  private async call<T>(
    target: ProviderTarget,
    region: string | null,
    action: string,
    send: (client: SecretsManagerClient, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const client = this.clientFor(region);
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
      const endpoint = region ? this.options.endpointFor?.(region) : undefined;
      client = new SecretsManagerClient({
        ...(chosenRegion ? { region: chosenRegion } : {}),
        ...(endpoint ? { endpoint } : {}),
        maxAttempts: 1,
        requestHandler: { connectionTimeout: this.retry.timeoutMs, requestTimeout: this.retry.timeoutMs },
      });
      this.clients.set(key, client);
    }
    return client;
  }
}
