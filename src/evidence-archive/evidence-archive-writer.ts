import { createHash } from 'node:crypto';
import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import type { DateTime } from 'luxon';
import { RotorError } from '../core/errors.js';
import { evidenceDigest, evidenceObjects, type EvidenceObject, type EvidenceRecord } from './archive-layout.js';
import { retainUntil, type ArchiveRetention } from './archive-retention.js';
import type { EvidenceBucket } from './evidence-bucket.js';

/** The user metadata key (`x-amz-meta-rotor-digest`) that carries a record's digest. */
export const DIGEST_METADATA = 'rotor-digest';

export interface ArchivedObject {
  key: string;
  digest: string;
  /** `written` now, or `already_archived` by an earlier attempt with the same content. */
  status: 'written' | 'already_archived';
  versionId: string | null;
  /** The Object Lock retain-until date the object carries. */
  retainUntil: string | null;
}

/**
 * Writes evidence records once, under Object Lock in COMPLIANCE mode: nobody can change or
 * delete the version written until its retain-until date. Writing is idempotent: an object
 * that already holds the same digest counts as archived; one that holds something else is
 * refused and reported, never overwritten. Doing it exactly once (and retrying) is the caller's.
 */
export class EvidenceArchiveWriter {
  constructor(
    private readonly bucket: EvidenceBucket,
    private readonly retention: ArchiveRetention,
  ) {}

  async archive(record: EvidenceRecord, now: DateTime): Promise<ArchivedObject[]> {
    const until = retainUntil(now, this.retention);
    const objects = evidenceObjects(this.bucket.prefix, record);
    const archived: ArchivedObject[] = [];
    for (const object of objects) archived.push(await this.archiveOne(object, until.toJSDate()));
    return archived;
  }

  private async archiveOne(object: EvidenceObject, until: Date): Promise<ArchivedObject> {
    const existing = await this.head(object.key);
    if (existing) return this.alreadyThere(object, existing);
    const body = Buffer.from(object.body, 'utf8');
    try {
      const written = await this.bucket.call(this.bucket.url(object.key), 'archive the evidence to', ({ sdk, client }, signal) =>
        client.send(
          new sdk.PutObjectCommand({
            Bucket: this.bucket.bucket,
            Key: object.key,
            Body: body,
            ContentType: object.contentType,
            // Object Lock requires an integrity checksum with the upload; S3 checks it.
            ChecksumAlgorithm: 'SHA256',
            ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
            ObjectLockMode: 'COMPLIANCE',
            ObjectLockRetainUntilDate: until,
            Metadata: { [DIGEST_METADATA]: object.digest },
            // Two writers racing: the second is refused (412) instead of adding a version.
            IfNoneMatch: '*',
          }),
          { abortSignal: signal },
        ),
      );
      return {
        key: object.key,
        digest: object.digest,
        status: 'written',
        versionId: written.VersionId ?? null,
        retainUntil: until.toISOString(),
      };
    } catch (error) {
      const raced = error instanceof RotorError ? await this.head(object.key) : null;
      if (raced) return this.alreadyThere(object, raced);
      throw error;
    }
  }

  private async alreadyThere(object: EvidenceObject, existing: HeadObjectCommandOutput): Promise<ArchivedObject> {
    const stored = existing.Metadata?.[DIGEST_METADATA] ?? (await this.digestOfStored(object.key));
    if (stored !== object.digest) {
      throw new RotorError(
        'conflict',
        `${this.bucket.url(object.key)} already holds a different record (${stored}, not ${object.digest}); it was left as it is and nothing was written. Compare it with \`rotor evidence verify\` and the record Rotor prints now.`,
      );
    }
    return {
      key: object.key,
      digest: object.digest,
      status: 'already_archived',
      versionId: existing.VersionId ?? null,
      retainUntil: existing.ObjectLockRetainUntilDate?.toISOString() ?? null,
    };
  }

  private async head(key: string): Promise<HeadObjectCommandOutput | null> {
    try {
      return await this.bucket.call(this.bucket.url(key), 'look for', ({ sdk, client }, signal) =>
        client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket.bucket, Key: key }), { abortSignal: signal }),
      );
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  private async digestOfStored(key: string): Promise<string> {
    const read = await this.bucket.call(this.bucket.url(key), 'read back', ({ sdk, client }, signal) =>
      client.send(new sdk.GetObjectCommand({ Bucket: this.bucket.bucket, Key: key }), { abortSignal: signal }),
    );
    return evidenceDigest((await read.Body?.transformToString('utf8')) ?? '');
  }
}

/** HeadObject answers a missing key with a bare 404 (`NotFound`). */
export function isNotFound(error: unknown): boolean {
  const cause = error instanceof RotorError ? error.cause : error;
  const shape = (typeof cause === 'object' && cause !== null ? cause : {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  return shape.name === 'NotFound' || shape.name === 'NoSuchKey' || shape.$metadata?.httpStatusCode === 404;
}
