import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { evidenceDigest, evidenceKeys, type EvidenceRecord } from '../../src/evidence-archive/archive-layout.js';
import { retainUntil } from '../../src/evidence-archive/archive-retention.js';
import { describeVerificationProblems, EvidenceArchiveVerifier } from '../../src/evidence-archive/evidence-archive-verifier.js';
import { EvidenceArchiveWriter } from '../../src/evidence-archive/evidence-archive-writer.js';
import { EvidenceBucket } from '../../src/evidence-archive/evidence-bucket.js';
import type { RetryPolicy } from '../../src/providers/call-with-retry.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';

const FAST: RetryPolicy = { attempts: 2, timeoutMs: 5_000, baseDelayMs: 1, maxDelayMs: 5 };

/** A record as the evidence commands render it; its instant is derived from the test's clock. */
function record(kind: EvidenceRecord['kind'], id: string, occurredAt: DateTime, note = 'completed'): EvidenceRecord {
  const json = JSON.stringify({ kind, id, secret: 'prod/payments/stripe_key', note, chain: { from: 12, to: 19 } });
  return {
    kind,
    id,
    secretName: 'prod/payments/stripe_key',
    occurredAt: occurredAt.toISO() as string,
    markdown: `# ${kind} ${id}\n\n${note}\n`,
    json,
  };
}

describe('the archive layout', () => {
  const at = DateTime.utc().startOf('month').plus({ days: 3 });

  it('puts a record under <prefix>/rotations|incidents/<YYYY>/<MM>/<secret>/<id>.md and .json, by its UTC month', () => {
    const folder = `rotations/${at.toFormat('yyyy')}/${at.toFormat('LL')}/prod/payments/stripe_key`;
    expect(evidenceKeys('/audit/rotor/', record('rotation', '42', at))).toEqual({
      markdown: `audit/rotor/${folder}/42.md`,
      json: `audit/rotor/${folder}/42.json`,
    });
    expect(evidenceKeys('', record('incident', '7', at)).json).toBe(
      `incidents/${at.toFormat('yyyy')}/${at.toFormat('LL')}/prod/payments/stripe_key/7.json`,
    );
    const lastMinute = at.endOf('month');
    expect(evidenceKeys('', record('rotation', '1', lastMinute.setZone('Pacific/Auckland'))).json).toContain(
      `/${lastMinute.toFormat('LL')}/`,
    );
  });

  it('refuses names that would escape the folder, and instants that are not ISO', () => {
    expect(() => evidenceKeys('', { ...record('rotation', '1', at), secretName: 'prod/../x' })).toThrow(
      '`..` in rotation 1 of prod/../x cannot be part of an archive key',
    );
    expect(() => evidenceKeys('', { ...record('rotation', '1', at), id: 'a b' })).toThrow('cannot be part of an archive key');
    expect(() => evidenceKeys('', { ...record('rotation', '1', at), occurredAt: 'yesterday' })).toThrow('is not an ISO date-time');
  });

  it('computes the retain-until date from the given instant and refuses a retention of nothing', () => {
    const now = DateTime.utc();
    expect(retainUntil(now, { years: 7 }).toISO()).toBe(now.plus({ years: 7 }).toISO());
    expect(retainUntil(now, { days: 30 }).toISO()).toBe(now.plus({ days: 30 }).toISO());
    expect(() => retainUntil(now, {})).toThrow('positive whole number of days or years');
    expect(() => retainUntil(now, { years: 1.5 })).toThrow('positive whole number');
  });
});

describe.runIf(shouldRunMotoSuite('the evidence archive suite'))(
  'the evidence archive against moto_server with an Object Lock bucket',
  () => {
    useMoto();
    let s3: S3Client;
    const opened: EvidenceBucket[] = [];
    const bucketNamed = (bucket: string, prefix = 'rotor') => {
      const made = new EvidenceBucket({ bucket, prefix, forcePathStyle: true, retry: FAST });
      opened.push(made);
      return made;
    };

    beforeAll(() => {
      s3 = new S3Client({ forcePathStyle: true });
    });
    afterAll(() => s3.destroy());
    afterEach(() => {
      for (const made of opened.splice(0)) made.destroy();
    });

    const lockedBucket = async (name = 'rotor-evidence') => {
      await s3.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: true }));
      return bucketNamed(name);
    };
    const versionsOf = async (key: string) =>
      ((await s3.send(new ListObjectVersionsCommand({ Bucket: 'rotor-evidence', Prefix: key }))).Versions ?? []).length;

    it('refuses at start-up a bucket without versioning or Object Lock, saying what to set, and one that does not exist', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'plain-bucket' }));
      await expect(bucketNamed('plain-bucket').check()).rejects.toMatchObject({
        code: 'config',
        message: expect.stringMatching(
          /plain-bucket cannot keep records unchanged.*versioning is not enabled: `aws s3api put-bucket-versioning --bucket plain-bucket --versioning-configuration Status=Enabled`; Object Lock is not enabled: `aws s3api put-object-lock-configuration/,
        ),
      });
      await s3.send(new PutBucketVersioningCommand({ Bucket: 'plain-bucket', VersioningConfiguration: { Status: 'Enabled' } }));
      const versionedOnly = (await bucketNamed('plain-bucket')
        .check()
        .catch((error: unknown) => error)) as Error;
      expect(versionedOnly.message).toContain('Object Lock is not enabled');
      expect(versionedOnly.message).not.toContain('versioning is');
      await expect(bucketNamed('no-such-bucket').check()).rejects.toMatchObject({
        code: 'config',
        message: expect.stringContaining('the bucket does not exist'),
      });
      await expect((await lockedBucket()).check()).resolves.toBeUndefined();
    });

    it('archives a rotation and an incident once, in COMPLIANCE mode until the retention ends; a retry writes nothing twice', async () => {
      const bucket = await lockedBucket();
      const writer = new EvidenceArchiveWriter(bucket, { years: 7 });
      const now = DateTime.utc().startOf('second');
      const rotation = record('rotation', '42', now);
      const written = await writer.archive(rotation, now);
      const keys = evidenceKeys('rotor', rotation);
      expect(written.map(({ key, status }) => ({ key, status }))).toEqual([
        { key: keys.markdown, status: 'written' },
        { key: keys.json, status: 'written' },
      ]);
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'rotor-evidence', Key: keys.json }));
      expect(head.ObjectLockMode).toBe('COMPLIANCE');
      expect(head.ObjectLockRetainUntilDate?.toISOString()).toBe(now.plus({ years: 7 }).toJSDate().toISOString());
      expect(head.Metadata).toEqual({ 'rotor-digest': evidenceDigest(rotation.json) });

      // A restart or a retried follow-up: the same record is found, not written again.
      const later = now.plus({ minutes: 5 });
      const again = await writer.archive(rotation, later);
      expect(again.map((object) => object.status)).toEqual(['already_archived', 'already_archived']);
      expect(again[1]?.retainUntil).toBe(written[1]?.retainUntil);
      expect(await versionsOf(keys.json)).toBe(1);

      const incident = record('incident', '7', now);
      expect((await writer.archive(incident, now)).map((object) => object.key)).toEqual(Object.values(evidenceKeys('rotor', incident)));
    });

    it('refuses to archive over a different record at the same key, reporting both digests and writing nothing', async () => {
      const bucket = await lockedBucket();
      const writer = new EvidenceArchiveWriter(bucket, { days: 30 });
      const now = DateTime.utc();
      await writer.archive(record('rotation', '42', now), now);
      const changed = record('rotation', '42', now, 'rolled back');
      const key = evidenceKeys('rotor', changed).markdown;
      await expect(writer.archive(changed, now)).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringContaining(
          `s3://rotor-evidence/${key} already holds a different record (${evidenceDigest(record('rotation', '42', now).markdown)}, not ${evidenceDigest(changed.markdown)})`,
        ),
      });
      expect(await versionsOf(key)).toBe(1);
    });

    it('says so when S3 refuses the PutObject (a bucket without Object Lock)', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'plain-bucket' }));
      const writer = new EvidenceArchiveWriter(bucketNamed('plain-bucket'), { years: 1 });
      const now = DateTime.utc();
      await expect(writer.archive(record('rotation', '42', now), now)).rejects.toMatchObject({
        code: 'provider',
        message: expect.stringContaining('Could not archive the evidence to s3://plain-bucket/rotor/rotations/'),
      });
    });

    it('verifies every archived record, and names the object replaced in the bucket and the one missing', async () => {
      const bucket = await lockedBucket();
      const writer = new EvidenceArchiveWriter(bucket, { years: 7 });
      const now = DateTime.utc();
      const records = [record('rotation', '42', now), record('rotation', '43', now), record('incident', '7', now)];
      for (const entry of records) await writer.archive(entry, now);
      const expected = records.flatMap((entry) => {
        const keys = evidenceKeys('rotor', entry);
        return [
          { key: keys.markdown, digest: evidenceDigest(entry.markdown) },
          { key: keys.json, digest: evidenceDigest(entry.json) },
        ];
      });
      const verifier = new EvidenceArchiveVerifier(bucket);
      const clean = await verifier.verify(expected, now);
      expect(clean).toEqual({ ok: expected.map((entry) => entry.key), missing: [], different: [], unexpected: [] });

      // Someone writes over one record: Object Lock keeps the original version, but the key now serves another.
      const replaced = expected[2]?.key as string;
      await s3.send(new PutObjectCommand({ Bucket: 'rotor-evidence', Key: replaced, Body: '# rotation 43\n\nnothing to see\n' }));
      const missing = evidenceKeys('rotor', record('rotation', '44', now)).json;
      const result = await verifier.verify([...expected, { key: missing, digest: evidenceDigest('{}') }], now);
      expect(result.missing).toEqual([missing]);
      expect(result.different).toEqual([
        {
          key: replaced,
          problem: expect.stringMatching(
            /^not locked in COMPLIANCE mode \(no lock\); replaced: the key has 2 versions.*; its content's digest is sha256:[0-9a-f]+, the audit chain's record gives sha256:/,
          ),
        },
      ]);
      expect(describeVerificationProblems(bucket, result)).toEqual([
        `s3://rotor-evidence/${missing}: missing`,
        `s3://rotor-evidence/${replaced}: ${result.different[0]?.problem}`,
      ]);
      expect(result.ok).toHaveLength(expected.length - 1);
    });
  },
);
