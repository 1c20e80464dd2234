import { describe, expect, it } from 'vitest';
import { defaultPolicy, parsePolicy } from '../../src/config/policy.js';
import { ValidationError } from '../../src/core/errors.js';

/**
 * Issue 22 items 3 and 5 in the policy: `evidence_archive` (where records are archived under
 * Object Lock) and `provenance` (the tags a completed rotation leaves at its store). A wrong key
 * is refused with its place and line, so the bot never starts archiving to, or tagging with,
 * something other than what was meant.
 */

function issuesOf(text: string) {
  try {
    parsePolicy(text, 'test.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected the policy to be refused');
}

describe('evidence_archive', () => {
  it('is absent by default: nothing is archived', () => {
    expect(defaultPolicy.evidenceArchive).toBeNull();
  });

  it('reads bucket, prefix (without its slashes), region, retention and path style; the prefix defaults to rotor', () => {
    expect(
      parsePolicy(
        'evidence_archive:\n  bucket: acme-rotor-evidence\n  prefix: /audit/rotor/\n  region: eu-west-1\n  retention_years: 7\n  force_path_style: true\n',
        'test.yml',
      ).evidenceArchive,
    ).toEqual({
      bucket: 'acme-rotor-evidence',
      prefix: 'audit/rotor',
      region: 'eu-west-1',
      retention: { years: 7 },
      forcePathStyle: true,
    });
    expect(parsePolicy('evidence_archive:\n  bucket: acme-rotor-evidence\n  retention_days: 30\n', 'test.yml').evidenceArchive).toEqual({
      bucket: 'acme-rotor-evidence',
      prefix: 'rotor',
      region: null,
      retention: { days: 30 },
      forcePathStyle: false,
    });
  });

  it.each([
    [
      'a bucket name S3 would refuse',
      'evidence_archive:\n  bucket: Acme_Evidence\n  retention_years: 7\n',
      'evidence_archive.bucket (line 2)',
      /must be an S3 bucket name/,
    ],
    [
      'no bucket',
      'evidence_archive:\n  retention_years: 7\n',
      'evidence_archive.bucket',
      /^required: the S3 bucket records are archived to/,
    ],
    [
      'a bucket that is not a name',
      'evidence_archive:\n  bucket: 42\n  retention_years: 7\n',
      'evidence_archive.bucket (line 2)',
      /^required: the S3 bucket/,
    ],
    [
      'both retentions',
      'evidence_archive:\n  bucket: acme-rotor-evidence\n  retention_years: 7\n  retention_days: 30\n',
      'evidence_archive',
      /exactly one of retention_days or retention_years/,
    ],
    [
      'no retention',
      'evidence_archive:\n  bucket: acme-rotor-evidence\n',
      'evidence_archive',
      /exactly one of retention_days or retention_years/,
    ],
    [
      'a retention of nothing',
      'evidence_archive:\n  bucket: acme-rotor-evidence\n  retention_days: 0\n',
      'evidence_archive.retention_days (line 3)',
      /./,
    ],
    [
      'a retention in months',
      'evidence_archive:\n  bucket: acme-rotor-evidence\n  retention_years: 1.5\n',
      'evidence_archive.retention_years (line 3)',
      /./,
    ],
    [
      'a prefix that climbs out of its folder',
      'evidence_archive:\n  bucket: acme-rotor-evidence\n  prefix: audit/../other\n  retention_years: 7\n',
      'evidence_archive.prefix (line 3)',
      /must not have a `.` or `..` folder/,
    ],
    [
      'a prefix with spaces',
      'evidence_archive:\n  bucket: acme-rotor-evidence\n  prefix: audit rotor\n  retention_years: 7\n',
      'evidence_archive.prefix (line 3)',
      /must be a folder inside the bucket/,
    ],
    [
      'a region that is not one',
      'evidence_archive:\n  bucket: acme-rotor-evidence\n  region: Ireland\n  retention_years: 7\n',
      'evidence_archive.region (line 3)',
      /must be an AWS region/,
    ],
    [
      'an unknown key',
      'evidence_archive:\n  bucket: acme-rotor-evidence\n  retention_years: 7\n  mode: GOVERNANCE\n',
      'evidence_archive (line 2)',
      /unknown key mode/,
    ],
  ])('refuses %s, naming the key and its line', (_case, text, where, message) => {
    const [issue] = issuesOf(text);
    expect(issue?.where).toMatch(new RegExp(`^${where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(issue?.message).toMatch(message);
  });
});

describe('provenance', () => {
  it('tags version and rotated_by by default', () => {
    expect(defaultPolicy.provenance).toEqual({ enabled: true, versionTag: 'version', rotatedByTag: 'rotated_by' });
  });

  it('reads the keys and the switch', () => {
    expect(
      parsePolicy('provenance:\n  enabled: false\n  version_tag: rotor:version\n  rotated_by_tag: rotor:rotated-by\n', 'test.yml')
        .provenance,
    ).toEqual({
      enabled: false,
      versionTag: 'rotor:version',
      rotatedByTag: 'rotor:rotated-by',
    });
  });

  it.each([
    ['a key with a space', 'provenance:\n  version_tag: rotated on\n', 'provenance.version_tag (line 2)', /must be a tag key/],
    ['a key starting with a digit', 'provenance:\n  rotated_by_tag: 1by\n', 'provenance.rotated_by_tag (line 2)', /must be a tag key/],
    [
      'a key AWS keeps for itself',
      'provenance:\n  version_tag: aws:version\n',
      'provenance.version_tag (line 2)',
      /must not start with `aws:`/,
    ],
    [
      'the same key twice',
      'provenance:\n  version_tag: rotor\n  rotated_by_tag: rotor\n',
      'provenance',
      /version_tag and rotated_by_tag must be different keys/,
    ],
    ['enabled that is not true or false', 'provenance:\n  enabled: sometimes\n', 'provenance.enabled (line 2)', /./],
    ['an unknown key', 'provenance:\n  enable: false\n', 'provenance (line 2)', /unknown key enable/],
  ])('refuses %s, naming the key and its line', (_case, text, where, message) => {
    const [issue] = issuesOf(text);
    expect(issue?.where).toMatch(new RegExp(`^${where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(issue?.message).toMatch(message);
  });
});
