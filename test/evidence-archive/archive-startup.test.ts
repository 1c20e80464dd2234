import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/project-root.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { rotor, runRotor } from '../support/cli.js';
import { freePort, shouldRunMotoSuite, useMoto } from '../support/moto.js';
import { generateSlackCredentials } from '../support/slack-signing.js';
import { openTempStore } from '../support/temp-db.js';

/**
 * A bucket that could let a record be rewritten is refused when the bot starts (`node
 * dist/src/main.js`, what `npm start` runs): one line on stderr saying what to set, exit 1, and
 * the database never created. Without `evidence_archive`, nothing is archived and the CLI says so.
 */

const mainJs = join(projectRoot, 'dist', 'src', 'main.js');

describe.runIf(shouldRunMotoSuite('the evidence archive start-up check'))(
  'start-up with an evidence bucket that cannot keep records unchanged',
  () => {
    const moto = useMoto();
    const fake = new FakeSlackApi();
    let dir: string;
    let s3: S3Client;

    beforeAll(async () => {
      if (!existsSync(mainJs))
        execFileSync(process.execPath, [
          join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
          '-p',
          join(projectRoot, 'tsconfig.json'),
        ]);
      await fake.start();
      dir = mkdtempSync(join(tmpdir(), 'rotor-archive-start-'));
      s3 = new S3Client({ forcePathStyle: true, endpoint: moto.endpoint });
    });
    afterAll(async () => {
      s3.destroy();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Runs the bot with `bucket` as its evidence archive until it exits (or is stopped after it says it runs). */
    async function start(bucket: string): Promise<{ code: number | null; stderr: string; database: string }> {
      const credentials = generateSlackCredentials();
      const policy = join(dir, `${bucket}.yml`);
      writeFileSync(policy, `evidence_archive:\n  bucket: ${bucket}\n  prefix: rotor\n  retention_years: 7\n  force_path_style: true\n`);
      const database = join(dir, `${bucket}.db`);
      const child = spawn(process.execPath, [mainJs], {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          SLACK_BOT_TOKEN: credentials.botToken,
          SLACK_SIGNING_SECRET: credentials.signingSecret,
          SLACK_API_URL: fake.apiUrl,
          ROTOR_DB: database,
          ROTOR_CONFIG: policy,
          PORT: String(await freePort()),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
          AWS_ENDPOINT_URL: moto.endpoint,
          AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
          AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
          AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // A bot that starts runs until stopped; the refusal comes before it listens, within seconds even on a busy machine.
      const timer = setTimeout(() => child.kill('SIGTERM'), 20_000);
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      clearTimeout(timer);
      return { code, stderr, database };
    }

    it('refuses a bucket without versioning and Object Lock, then one with versioning only, each with one line saying what to set; the database is never created', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'plain-bucket' }));
      const plain = await start('plain-bucket');
      expect(plain.code).toBe(1);
      expect(plain.stderr.trim().split('\n')).toEqual([
        'rotor: The evidence archive bucket plain-bucket cannot keep records unchanged, so Rotor will not archive to it: versioning is not enabled: `aws s3api put-bucket-versioning --bucket plain-bucket --versioning-configuration Status=Enabled`; Object Lock is not enabled: `aws s3api put-object-lock-configuration --bucket plain-bucket --object-lock-configuration ObjectLockEnabled=Enabled` (after versioning).',
      ]);
      expect(existsSync(plain.database)).toBe(false);

      await s3.send(new PutBucketVersioningCommand({ Bucket: 'plain-bucket', VersioningConfiguration: { Status: 'Enabled' } }));
      const versioned = await start('plain-bucket');
      expect(versioned.code).toBe(1);
      expect(versioned.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^rotor: The evidence archive bucket plain-bucket cannot keep records unchanged.*: Object Lock is not enabled: `aws s3api put-object-lock-configuration --bucket plain-bucket/,
        ),
      ]);
      expect(versioned.stderr).not.toContain('put-bucket-versioning');

      const missing = await start('no-such-bucket');
      expect(missing.code).toBe(1);
      expect(missing.stderr.trim().split('\n')).toEqual([
        expect.stringContaining('rotor: Could not read the versioning of s3://no-such-bucket/: the bucket does not exist.'),
      ]);
      expect(existsSync(missing.database)).toBe(false);
      // Three start-ups of the bot, each loading the AWS SDK: a loaded machine needs more than the default.
    }, 90_000);
  },
);

describe('without evidence_archive in the policy', () => {
  it('rotor evidence verify says nothing is archived and how to set it, exit 2', async () => {
    const store = openTempStore();
    try {
      const result = await rotor(store.path, 'evidence', 'verify');
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        'rotor: No evidence archive is configured: set evidence_archive (bucket, prefix, retention_years or retention_days) in the policy file (docs/policy.md). Nothing has been archived.\n',
      );
    } finally {
      store.close();
    }
  });

  it('rotor evidence verify refuses an --at that is not a date, and a policy whose evidence_archive is wrong, exit 2, before reaching any bucket', async () => {
    const store = openTempStore();
    const dir = mkdtempSync(join(tmpdir(), 'rotor-archive-policy-'));
    try {
      const badAt = await rotor(store.path, 'evidence', 'verify', '--at', 'last tuesday');
      expect(badAt).toMatchObject({ code: 2, stdout: '' });
      expect(badAt.stderr).toMatch(/^rotor: .*--at.*last tuesday/);

      const policy = join(dir, 'policy.yml');
      writeFileSync(policy, 'evidence_archive:\n  bucket: acme-rotor-evidence\n  retention_years: 7\n  retention_days: 30\n');
      const bad = await runRotor(['--db', store.path, '--config', policy, 'evidence', 'verify']);
      expect(bad).toMatchObject({ code: 2, stdout: '' });
      expect(bad.stderr).toContain('evidence_archive');
      expect(bad.stderr).toContain('give the retention as exactly one of retention_days or retention_years');
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
