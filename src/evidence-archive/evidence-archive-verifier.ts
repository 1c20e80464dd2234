import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import type { DateTime } from 'luxon';
import { evidenceDigest } from './archive-layout.js';
import type { EvidenceBucket } from './evidence-bucket.js';
import { isNotFound } from './evidence-archive-writer.js';

/** What the audit chain says an archived object must hold. */
export interface ExpectedEvidence {
  key: string;
  /** `sha256:<hex>` of the record as Rotor renders it from the audit chain now. */
  digest: string;
}

export interface EvidenceProblem {
  key: string;
  problem: string;
}

export interface EvidenceVerification {
  /** Every expected object, read back, locked and holding the expected digest. */
  ok: string[];
  missing: string[];
  /** Read back with another digest, replaced by a later version, or not locked in COMPLIANCE mode. */
  different: EvidenceProblem[];
  /** Objects under the prefix that nothing expected (listed, not judged). */
  unexpected: string[];
}

/**
 * Reads every archived record back and checks it against what the caller expects: present,
 * locked in COMPLIANCE mode until a date still to come, the latest version being the only one
 * (a record written over is "replaced", even though Object Lock kept the original), and its
 * content's digest. The lock is read from HeadObject's headers, which every S3 returns.
 */
export class EvidenceArchiveVerifier {
  constructor(private readonly bucket: EvidenceBucket) {}

  async verify(expected: readonly ExpectedEvidence[], now: DateTime): Promise<EvidenceVerification> {
    const listed = await this.listKeys();
    const result: EvidenceVerification = { ok: [], missing: [], different: [], unexpected: [] };
    for (const { key, digest } of expected) {
      if (!listed.has(key)) {
        result.missing.push(key);
        continue;
      }
      const problems = await this.problemsOf(key, digest, now);
      if (problems === null) result.missing.push(key);
      else if (problems.length === 0) result.ok.push(key);
      else result.different.push({ key, problem: problems.join('; ') });
    }
    const wanted = new Set(expected.map((entry) => entry.key));
    result.unexpected = [...listed].filter((key) => !wanted.has(key)).sort();
    return result;
  }

  /** Null when the object is gone between the listing and the read. */
  private async problemsOf(key: string, digest: string, now: DateTime): Promise<string[] | null> {
    const where = this.bucket.url(key);
    let head: HeadObjectCommandOutput;
    try {
      head = await this.bucket.call(where, 'check the lock of', ({ sdk, client }, signal) =>
        client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket.bucket, Key: key }), { abortSignal: signal }),
      );
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    const problems: string[] = [];
    const until = head.ObjectLockRetainUntilDate;
    if (head.ObjectLockMode !== 'COMPLIANCE') problems.push(`not locked in COMPLIANCE mode (${head.ObjectLockMode ?? 'no lock'})`);
    else if (!until) problems.push('no retain-until date');
    else if (until.getTime() <= now.toMillis()) problems.push(`its retention ended at ${until.toISOString()}`);
    const versions = await this.versionsOf(key);
    if (versions > 1) problems.push(`replaced: the key has ${versions} versions, the latest written over the archived one`);
    const read = await this.bucket.call(where, 'read back', ({ sdk, client }, signal) =>
      client.send(new sdk.GetObjectCommand({ Bucket: this.bucket.bucket, Key: key }), { abortSignal: signal }),
    );
    const actual = evidenceDigest((await read.Body?.transformToString('utf8')) ?? '');
    if (actual !== digest) problems.push(`its content's digest is ${actual}, the audit chain's record gives ${digest}`);
    return problems;
  }

  private async listKeys(): Promise<Set<string>> {
    const keys = new Set<string>();
    const prefix = this.bucket.prefix === '' ? undefined : `${this.bucket.prefix}/`;
    let token: string | undefined;
    do {
      const page = await this.bucket.call(this.bucket.url(prefix ?? ''), 'list', ({ sdk, client }, signal) =>
        client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket.bucket, Prefix: prefix, ContinuationToken: token }), {
          abortSignal: signal,
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.add(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  private async versionsOf(key: string): Promise<number> {
    let count = 0;
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await this.bucket.call(this.bucket.url(key), 'list the versions of', ({ sdk, client }, signal) =>
        client.send(
          new sdk.ListObjectVersionsCommand({
            Bucket: this.bucket.bucket,
            Prefix: key,
            KeyMarker: keyMarker,
            VersionIdMarker: versionMarker,
          }),
          { abortSignal: signal },
        ),
      );
      count += (page.Versions ?? []).filter((version) => version.Key === key).length;
      count += (page.DeleteMarkers ?? []).filter((marker) => marker.Key === key).length;
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
    return count;
  }
}

/** One line per problem, naming the object: what `rotor evidence verify` prints, empty when all is well. */
export function describeVerificationProblems(bucket: EvidenceBucket, result: EvidenceVerification): string[] {
  return [
    ...result.missing.map((key) => `${bucket.url(key)}: missing`),
    ...result.different.map(({ key, problem }) => `${bucket.url(key)}: ${problem}`),
  ];
}
