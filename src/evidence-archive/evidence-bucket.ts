import type * as S3 from '@aws-sdk/client-s3';
import type { EvidenceArchivePolicy } from '../config/policy.js';
import { RotorError } from '../core/errors.js';
import { callWithRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../providers/call-with-retry.js';
import { normalizePrefix } from './archive-layout.js';
import { isTransientS3Error, s3ErrorName, translateS3Error } from './s3-errors.js';

export interface EvidenceBucketSettings {
  bucket: string;
  /** Folder inside the bucket for Rotor's records, e.g. `rotor`; empty for the root. */
  prefix: string;
  /** Region of the bucket; else the SDK's chain. */
  region?: string;
  /** An explicit endpoint; without it the SDK applies `AWS_ENDPOINT_URL` itself. */
  endpoint?: string;
  /** Path-style addressing, for S3-compatible endpoints (and moto) without virtual-hosted buckets. */
  forcePathStyle?: boolean;
  retry?: RetryPolicy;
}

/** What a call to the bucket is made with: the S3 SDK (its commands) and the bucket's client. */
export interface S3Session {
  sdk: typeof S3;
  client: S3.S3Client;
}

/**
 * The S3 bucket evidence is archived to: its client, its prefix, and the start-up check that
 * it can keep records unchanged (versioning and Object Lock both enabled). The S3 SDK is loaded
 * by the first call, not with Rotor: a bot without an evidence archive never pays for it.
 */
export class EvidenceBucket {
  readonly bucket: string;
  readonly prefix: string;
  private readonly retry: RetryPolicy;
  private opening: Promise<S3Session> | null = null;
  private opened: S3Session | null = null;
  private destroyed = false;

  constructor(private readonly settings: EvidenceBucketSettings) {
    this.bucket = settings.bucket;
    this.prefix = normalizePrefix(settings.prefix);
    this.retry = settings.retry ?? DEFAULT_RETRY_POLICY;
  }

  private session(): Promise<S3Session> {
    this.opening ??= import('@aws-sdk/client-s3').then((sdk) => {
      const client = new sdk.S3Client({
        ...(this.settings.region ? { region: this.settings.region } : {}),
        ...(this.settings.endpoint ? { endpoint: this.settings.endpoint } : {}),
        ...(this.settings.forcePathStyle ? { forcePathStyle: true } : {}),
        maxAttempts: 1,
        requestHandler: { connectionTimeout: this.retry.timeoutMs, requestTimeout: this.retry.timeoutMs },
      });
      this.opened = { sdk, client };
      // Destroyed while the SDK loaded: nothing will call it, so its sockets are released at once.
      if (this.destroyed) client.destroy();
      return this.opened;
    });
    return this.opening;
  }

  /** `s3://bucket/key`, for messages. */
  url(key = ''): string {
    return `s3://${this.bucket}/${key}`;
  }

  /**
   * At start-up: refuses a bucket that could let a record be rewritten or deleted, saying
   * exactly what to set. Object Lock needs versioning, and can be enabled on an existing
   * versioned bucket.
   */
  async check(): Promise<void> {
    const where = this.url();
    const versioning = await this.call(where, 'read the versioning of', ({ sdk, client }, signal) =>
      client.send(new sdk.GetBucketVersioningCommand({ Bucket: this.bucket }), { abortSignal: signal }),
    );
    const { sdk, client } = await this.session();
    let lock: string | undefined;
    try {
      const configuration = await callWithRetry(
        (signal) => client.send(new sdk.GetObjectLockConfigurationCommand({ Bucket: this.bucket }), { abortSignal: signal }),
        {
          policy: this.retry,
          isTransient: isTransientS3Error,
        },
      );
      lock = configuration.ObjectLockConfiguration?.ObjectLockEnabled;
    } catch (error) {
      if (s3ErrorName(error) !== 'ObjectLockConfigurationNotFoundError')
        throw translateS3Error(error, where, 'read the Object Lock configuration of');
    }
    const missing: string[] = [];
    if (versioning.Status !== 'Enabled') {
      missing.push(
        `versioning is ${versioning.Status ?? 'not enabled'}: \`aws s3api put-bucket-versioning --bucket ${this.bucket} --versioning-configuration Status=Enabled\``,
      );
    }
    if (lock !== 'Enabled') {
      missing.push(
        `Object Lock is not enabled: \`aws s3api put-object-lock-configuration --bucket ${this.bucket} --object-lock-configuration ObjectLockEnabled=Enabled\` (after versioning)`,
      );
    }
    if (missing.length > 0) {
      throw new RotorError(
        'config',
        `The evidence archive bucket ${this.bucket} cannot keep records unchanged, so Rotor will not archive to it: ${missing.join('; ')}.`,
      );
    }
  }

  async call<T>(where: string, action: string, send: (s3: S3Session, signal: AbortSignal) => Promise<T>): Promise<T> {
    const s3 = await this.session();
    try {
      return await callWithRetry((signal) => send(s3, signal), { policy: this.retry, isTransient: isTransientS3Error });
    } catch (error) {
      throw translateS3Error(error, where, action);
    }
  }

  /** Closes the SDK's sockets; call on shutdown. */
  destroy(): void {
    this.destroyed = true;
    this.opened?.client.destroy();
  }
}

/** The bucket the policy's `evidence_archive` names (the endpoint, if any, from `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`). */
export function openEvidenceBucket(settings: EvidenceArchivePolicy, retry?: RetryPolicy): EvidenceBucket {
  return new EvidenceBucket({
    bucket: settings.bucket,
    prefix: settings.prefix,
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.forcePathStyle ? { forcePathStyle: true } : {}),
    ...(retry ? { retry } : {}),
  });
}
