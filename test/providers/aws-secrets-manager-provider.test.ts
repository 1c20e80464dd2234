import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import { parseAwsSecretRef } from '../../src/providers/aws/aws-secret-ref.js';
import type { RetryPolicy } from '../../src/providers/call-with-retry.js';
import { createFingerprinter } from '../../src/providers/fingerprint.js';
import type { ProviderTarget } from '../../src/providers/secret-provider.js';
import { AwsFaultServer } from '../fakes/aws-fault-server.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';
import { keepEnvironment } from '../support/process-environment.js';

const fingerprintOf = (value: string) => createFingerprinter(null).of(value);

const FAST: RetryPolicy = { attempts: 3, timeoutMs: 2_000, baseDelayMs: 1, maxDelayMs: 5 };
const target: ProviderTarget = { secretName: 'prod/payments/stripe_key', providerRef: 'prod/payments/stripe_key' };
/** The SDK's variables as this file found them: the suites below set them, and must leave them so for the next file in this fork. */
const AWS_VARIABLES = ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE'];
const awsVariables = () => Object.fromEntries(AWS_VARIABLES.map((name) => [name, process.env[name]]));
const awsVariablesAtLoad = awsVariables();

describe('parseAwsSecretRef', () => {
  it('accepts an ARN, a name and region:name', () => {
    expect(parseAwsSecretRef('s', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/db-AbCdEf')).toEqual({
      secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/db-AbCdEf',
      region: 'eu-west-1',
    });
    expect(parseAwsSecretRef('s', 'prod/app/db')).toEqual({ secretId: 'prod/app/db', region: null });
    expect(parseAwsSecretRef('s', 'eu-central-1:prod/app/db')).toEqual({ secretId: 'prod/app/db', region: 'eu-central-1' });
  });

  it.each([
    ['arn:aws:s3:::bucket', 'is not a Secrets Manager secret ARN'],
    ['arn:aws:secretsmanager:eu-west-1:1234:secret:x', 'is not a Secrets Manager secret ARN'],
    ['prod app db', 'is not a Secrets Manager secret name'],
    ['', 'is not a Secrets Manager secret name'],
  ])('refuses %j naming the secret and the accepted forms', (ref, problem) => {
    expect(() => parseAwsSecretRef('prod/app/db', ref)).toThrow(problem);
    expect(() => parseAwsSecretRef('prod/app/db', ref)).toThrow(/The AWS reference of prod\/app\/db is malformed.*Use an ARN/);
  });
});

describe.runIf(shouldRunMotoSuite('the AWS Secrets Manager provider suite'))('AwsSecretsManagerProvider against moto_server', () => {
  const moto = useMoto();
  let provider: AwsSecretsManagerProvider;

  beforeEach(async () => {
    provider?.destroy();
    provider = new AwsSecretsManagerProvider({ retry: FAST });
  });

  async function createSecret(name = target.providerRef, tags: Record<string, string> = {}): Promise<string> {
    const created = await moto.sdk.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: `initial-${Math.random()}`,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return created.VersionId as string;
  }

  it('validates, describes, creates a pending version, promotes it, reads it back and deprecates the previous', async () => {
    const initial = await createSecret(target.providerRef, { 'rotor:owner': 'U0123ABCD' });
    await provider.validateReference(target);
    const before = await provider.describe(target);
    expect(before.current).toMatchObject({ versionId: initial, labels: ['AWSCURRENT'] });
    expect(before.tags).toEqual({ 'rotor:owner': 'U0123ABCD' });
    expect(before.rotationConfigured).toBe(false);

    const created = await provider.createVersion(target, { expectedCurrentVersionId: initial });
    expect(created.promotedOnCreate).toBe(false);
    const pending = await provider.describe(target);
    expect(pending.current?.versionId).toBe(initial);
    expect(pending.others.find((version) => version.versionId === created.versionId)?.labels).toEqual(['AWSPENDING']);

    await provider.promote(target, { newVersionId: created.versionId, expectedCurrentVersionId: initial });
    const promoted = await provider.describe(target);
    expect(promoted.current).toMatchObject({ versionId: created.versionId, labels: ['AWSCURRENT'] });
    expect(promoted.others.find((version) => version.versionId === initial)?.labels).toEqual(['AWSPREVIOUS']);

    // What the store holds, read without Rotor, hashes to the fingerprint Rotor reported.
    const stored = await moto.sdk.send(new GetSecretValueCommand({ SecretId: target.providerRef, VersionId: created.versionId }));
    expect(fingerprintOf(stored.SecretString as string)).toBe(created.fingerprint);
    expect(await provider.readCurrent(target)).toEqual({ versionId: created.versionId, fingerprint: created.fingerprint });

    await provider.deprecateVersion(target, initial);
    const after = await provider.describe(target);
    expect(after.others.find((version) => version.versionId === initial)?.labels ?? []).toEqual([]);
  });

  it('promoting a version that is already current is harmless (a resumed step)', async () => {
    const initial = await createSecret();
    const created = await provider.createVersion(target, { expectedCurrentVersionId: initial });
    await provider.promote(target, { newVersionId: created.versionId, expectedCurrentVersionId: initial });
    await provider.promote(target, { newVersionId: created.versionId, expectedCurrentVersionId: initial });
    expect((await provider.describe(target)).current?.versionId).toBe(created.versionId);
  });

  it('refuses to promote when the expected version is no longer current, leaving AWSCURRENT where it is', async () => {
    const initial = await createSecret();
    const created = await provider.createVersion(target, { expectedCurrentVersionId: initial });
    const outOfBand = await moto.sdk.send(
      new PutSecretValueCommand({ SecretId: target.providerRef, SecretString: `oob-${Math.random()}` }),
    );
    await expect(provider.promote(target, { newVersionId: created.versionId, expectedCurrentVersionId: initial })).rejects.toThrow(
      /current version of prod\/payments\/stripe_key in AWS is .*not .* someone rotated it meanwhile.*rotor sync/,
    );
    expect((await provider.describe(target)).current?.versionId).toBe(outOfBand.VersionId);
  });

  it('refuses to create a version when someone rotated since Rotor last looked', async () => {
    await createSecret();
    await expect(provider.createVersion(target, { expectedCurrentVersionId: 'a-version-rotor-once-saw' })).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it("a generated value keeps a JSON secret's shape: only the credential field changes, every other key is kept", async () => {
    const before = {
      username: `app_${randomBytes(3).toString('hex')}`,
      password: randomBytes(12).toString('hex'),
      host: 'db.internal',
      port: 5432,
    };
    const created0 = await moto.sdk.send(new CreateSecretCommand({ Name: target.providerRef, SecretString: JSON.stringify(before) }));
    expect(await provider.describeShape(target)).toEqual({
      kind: 'fields',
      fields: [
        { name: 'username', holds: 'string' },
        { name: 'password', holds: 'string' },
        { name: 'host', holds: 'string' },
        { name: 'port', holds: 'number' },
      ],
    });
    const created = await provider.createVersion(target, {
      expectedCurrentVersionId: created0.VersionId as string,
      placement: { kind: 'field', field: 'password' },
    });
    const stored = await moto.sdk.send(new GetSecretValueCommand({ SecretId: target.providerRef, VersionId: created.versionId }));
    const after = JSON.parse(stored.SecretString as string) as Record<string, unknown>;
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect({ ...after, password: null }).toEqual({ ...before, password: null });
    expect(after.password === before.password).toBe(false);
    // GetRandomPassword with ExcludePunctuation: letters and digits, safe in a URL or a DSN.
    expect(String(after.password)).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(fingerprintOf(stored.SecretString as string)).toBe(created.fingerprint);
  });

  it('a plain secret gets a plain value; a JSON or composed one is never replaced whole without a placement', async () => {
    const initial = await createSecret();
    expect(await provider.describeShape(target)).toEqual({ kind: 'string' });
    const created = await provider.createVersion(target, { expectedCurrentVersionId: initial });
    const stored = await moto.sdk.send(new GetSecretValueCommand({ SecretId: target.providerRef, VersionId: created.versionId }));
    expect(String(stored.SecretString)).toMatch(/^[A-Za-z0-9]{48}$/);

    const other = { secretName: 'prod/app/dsn', providerRef: 'prod/app/dsn' };
    const dsn = await moto.sdk.send(
      new CreateSecretCommand({ Name: other.providerRef, SecretString: `postgres://app:${randomBytes(8).toString('hex')}@db/app` }),
    );
    expect(await provider.describeShape(other)).toEqual({ kind: 'other', what: 'a URL or connection string' });
    await expect(provider.createVersion(other, { expectedCurrentVersionId: dsn.VersionId as string })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('Rotor wrote nothing'),
    });
    await expect(
      provider.createVersion(other, { expectedCurrentVersionId: dsn.VersionId as string, placement: { kind: 'field', field: 'password' } }),
    ).rejects.toThrow(/is not a JSON object/);
    const versions = (await moto.sdk.send(new DescribeSecretCommand({ SecretId: other.providerRef }))).VersionIdsToStages ?? {};
    expect(Object.keys(versions)).toEqual([dsn.VersionId]);
  });

  it('refuses to deprecate the current version', async () => {
    const initial = await createSecret();
    await expect(provider.deprecateVersion(target, initial)).rejects.toThrow(/is still AWSCURRENT/);
  });

  it('disables a compromised current version by moving AWSCURRENT to the replacement and stripping its labels', async () => {
    const initial = await createSecret();
    await expect(provider.disableVersion(target, { versionId: initial })).rejects.toThrow(/create the replacement version first/);
    const created = await provider.createVersion(target, { expectedCurrentVersionId: initial });
    await expect(provider.disableVersion(target, { versionId: initial, replacementVersionId: created.versionId })).resolves.toEqual({
      versionId: initial,
      action: 'labels_removed',
    });
    const after = await provider.describe(target);
    expect(after.current?.versionId).toBe(created.versionId);
    expect(after.others.find((version) => version.versionId === initial)?.labels ?? []).toEqual([]);
    await expect(provider.disableVersion(target, { versionId: created.versionId, destroy: true })).rejects.toThrow(/Vault-only/);
  });

  it('lists secrets carrying a tag key for discovery, exact key only', async () => {
    await createSecret('prod/app/db', { 'rotor:owner': 'U0123ABCD', 'rotor:type': 'database' });
    await createSecret('prod/app/other', { 'rotor:owner-team': 'x' });
    await createSecret('prod/app/untagged');
    const found = await provider.listForDiscovery({ tagKey: 'rotor:owner' });
    expect(found.map((secret) => secret.storeName)).toEqual(['prod/app/db']);
    expect(found[0]?.providerRef).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:prod\/app\/db-/);
    expect(found[0]?.tags).toEqual({ 'rotor:owner': 'U0123ABCD', 'rotor:type': 'database' });
  });

  it('a missing secret: not found, naming the secret and what to do', async () => {
    await expect(provider.describe(target)).rejects.toMatchObject({ code: 'not_found' });
    await expect(provider.readCurrent(target)).rejects.toThrow(
      /prod\/payments\/stripe_key points to prod\/payments\/stripe_key, which does not exist in AWS Secrets Manager.*\/secrets edit/,
    );
  });

  it('a malformed reference fails before any call', async () => {
    await expect(provider.describe({ secretName: 'prod/app/db', providerRef: 'arn:aws:iam::123456789012:role/x' })).rejects.toThrow(
      /AWS reference of prod\/app\/db is malformed/,
    );
  });
});

describe('AwsSecretsManagerProvider faults', () => {
  let faults: AwsFaultServer;
  let restoreEnvironment: (() => void) | undefined;
  beforeAll(async () => {
    faults = new AwsFaultServer();
    await faults.start();
    restoreEnvironment = keepEnvironment(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    process.env.AWS_ACCESS_KEY_ID ??= `test${randomBytes(4).toString('hex')}`;
    process.env.AWS_SECRET_ACCESS_KEY ??= randomBytes(12).toString('hex');
  });
  afterAll(async () => {
    restoreEnvironment?.();
    await faults?.stop();
  });

  function faultyProvider(policy: RetryPolicy = FAST): AwsSecretsManagerProvider {
    return new AwsSecretsManagerProvider({ endpoint: faults.endpoint, defaultRegion: 'us-east-1', retry: policy });
  }

  it('a secret with a rotation Lambda gets its new version from RotateSecret, not a generated value', async () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/payments/stripe_key-AbCdEf';
    faults.queue({
      kind: 'answer',
      body: { ARN: arn, Name: 'prod/payments/stripe_key', RotationEnabled: true, VersionIdsToStages: { 'v-old': ['AWSCURRENT'] } },
    });
    faults.queue({ kind: 'answer', body: { ARN: arn, Name: 'prod/payments/stripe_key', VersionId: 'v-rotated' } });
    const before = faults.operations.length;
    const created = await faultyProvider().createVersion(target, { expectedCurrentVersionId: 'v-old' });
    expect(created).toEqual({ versionId: 'v-rotated', fingerprint: null, promotedOnCreate: false });
    expect(faults.operations.slice(before)).toEqual(['DescribeSecret', 'RotateSecret']);
  });

  it('RotateSecret is refused when someone else rotated meanwhile', async () => {
    faults.queue({
      kind: 'answer',
      body: { Name: 'prod/payments/stripe_key', RotationEnabled: true, VersionIdsToStages: { 'v-theirs': ['AWSCURRENT'] } },
    });
    const before = faults.operations.length;
    await expect(faultyProvider().createVersion(target, { expectedCurrentVersionId: 'v-old' })).rejects.toMatchObject({ code: 'conflict' });
    expect(faults.operations.slice(before)).toEqual(['DescribeSecret']);
  });

  it('access denied: forbidden, naming the secret and the README permissions', async () => {
    faults.queue({
      kind: 'error',
      status: 400,
      type: 'AccessDeniedException',
      message: 'User is not authorized to perform secretsmanager:DescribeSecret',
    });
    await expect(faultyProvider().describe(target)).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/describe prod\/payments\/stripe_key.*access denied.*README/),
    });
  });

  it('throttling is retried a bounded number of times, then reported as unavailable', async () => {
    faults.operations.length = 0;
    faults.queue({ kind: 'error', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }, 3);
    await expect(faultyProvider().describe(target)).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: expect.stringMatching(/prod\/payments\/stripe_key.*throttling.*Nothing was recorded/),
    });
    expect(faults.operations).toEqual(['DescribeSecret', 'DescribeSecret', 'DescribeSecret']);
  });

  it('an endpoint that never answers times out per attempt and is reported as unavailable', async () => {
    faults.queue({ kind: 'hang' }, 2);
    const policy: RetryPolicy = { attempts: 2, timeoutMs: 200, baseDelayMs: 1, maxDelayMs: 2 };
    await expect(faultyProvider(policy).readCurrent(target)).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: expect.stringMatching(/read back the current version of prod\/payments\/stripe_key.*did not answer in time/),
    });
  });

  it('an invalid request names the secret and AWS reason', async () => {
    faults.queue({
      kind: 'error',
      status: 400,
      type: 'InvalidRequestException',
      message: 'You can’t perform this operation on the secret because it was marked for deletion.',
    });
    await expect(faultyProvider().describe(target)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/marked for deletion/),
    });
  });
});

describe.runIf(shouldRunMotoSuite('the AWS retry-then-succeed test'))('AwsSecretsManagerProvider retries against moto', () => {
  const moto = useMoto();
  let proxy: AwsFaultServer;
  beforeAll(async () => {
    proxy = new AwsFaultServer(moto.endpoint);
    await proxy.start();
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('a throttled call succeeds on a later attempt', async () => {
    await moto.sdk.send(new CreateSecretCommand({ Name: target.providerRef, SecretString: `v-${Math.random()}` }));
    proxy.queue({ kind: 'error', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    const provider = new AwsSecretsManagerProvider({ endpoint: proxy.endpoint, retry: FAST });
    await expect(provider.describe(target)).resolves.toMatchObject({ current: { labels: ['AWSCURRENT'] } });
    expect(proxy.operations.slice(0, 2)).toEqual(['DescribeSecret', 'DescribeSecret']);
    provider.destroy();
  });
});

describe('after the suites above', () => {
  it('the AWS variables they set are back as this file found them (files share a process under isolate: false)', () => {
    expect(awsVariables()).toEqual(awsVariablesAtLoad);
  });
});
