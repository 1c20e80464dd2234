import { randomUUID } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
  RotateKeyOnDemandCommand,
  type KeySpec,
  type KeyUsageType,
} from '@aws-sdk/client-kms';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RotorError } from '../../src/core/errors.js';
import { parseKmsAliasRef } from '../../src/providers/aws-kms/kms-alias-ref.js';
import { AwsKmsKeyStore, REQUEST_TOKEN_TAG, SUCCESSOR_OF_TAG } from '../../src/providers/aws-kms/kms-key-store.js';
import { pendingAliasOf } from '../../src/providers/aws-kms/kms-labels.js';
import { validatePendingWindow } from '../../src/providers/aws-kms/kms-windows.js';
import type { RetryPolicy } from '../../src/providers/call-with-retry.js';
import type { ProviderTarget } from '../../src/providers/secret-provider.js';
import { AwsFaultServer } from '../fakes/aws-fault-server.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';

const FAST: RetryPolicy = { attempts: 2, timeoutMs: 2_000, baseDelayMs: 1, maxDelayMs: 5 };
const target: ProviderTarget = { secretName: 'prod/payments/app_key', providerRef: 'alias/app' };
const DAY_MS = 86_400_000;

describe('parseKmsAliasRef', () => {
  it('accepts an alias, region:alias and an alias ARN', () => {
    expect(parseKmsAliasRef('k', 'alias/app')).toEqual({ aliasName: 'alias/app', region: null });
    expect(parseKmsAliasRef('k', 'eu-west-1:alias/team/app-key_2')).toEqual({ aliasName: 'alias/team/app-key_2', region: 'eu-west-1' });
    expect(parseKmsAliasRef('k', 'arn:aws:kms:eu-central-1:123456789012:alias/app')).toEqual({
      aliasName: 'alias/app',
      region: 'eu-central-1',
    });
  });

  it.each([
    ['1234abcd-12ab-34cd-56ef-1234567890ab', 'names a key, not an alias'],
    ['arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'names a key, not an alias'],
    ['alias/aws/secretsmanager', "is an AWS-managed key's alias"],
    ['arn:aws:kms:eu-west-1:1234:alias/app', 'is not a KMS alias ARN'],
    ['app', 'is not a KMS alias'],
    ['alias/app key', 'is not a KMS alias'],
    ['', 'is not a KMS alias'],
  ])('refuses %j naming the secret and the accepted forms', (ref, problem) => {
    expect(() => parseKmsAliasRef('prod/app/key', ref)).toThrow(problem);
    expect(() => parseKmsAliasRef('prod/app/key', ref)).toThrow(
      /The KMS reference of prod\/app\/key is malformed.*Use an alias such as alias\/app/,
    );
  });
});

describe('validatePendingWindow', () => {
  it.each([7, 30, 15])('accepts %d days', (days) => expect(() => validatePendingWindow(days)).not.toThrow());
  it.each([6, 31, 0, 7.5, Number.NaN])('refuses %d days', (days) => expect(() => validatePendingWindow(days)).toThrow(/from 7 to 30/));
});

describe.runIf(shouldRunMotoSuite('the AWS KMS key store suite'))('AwsKmsKeyStore against moto_server', () => {
  const moto = useMoto();
  let kms: KMSClient;
  let store: AwsKmsKeyStore;
  const faults = new AwsFaultServer(undefined);
  let proxied: AwsFaultServer;

  beforeAll(async () => {
    kms = new KMSClient({});
  });
  afterAll(async () => {
    kms.destroy();
    store?.destroy();
    await proxied?.stop();
    await faults.stop();
  });
  beforeEach(() => {
    store?.destroy();
    store = new AwsKmsKeyStore({ retry: FAST });
  });

  async function createKey(
    options: { spec?: KeySpec; usage?: KeyUsageType; tags?: Record<string, string>; alias?: string } = {},
  ): Promise<{ keyId: string; keyArn: string }> {
    const created = await kms.send(
      new CreateKeyCommand({
        Description: 'the first app key',
        KeySpec: options.spec ?? 'SYMMETRIC_DEFAULT',
        KeyUsage: options.usage ?? 'ENCRYPT_DECRYPT',
        Tags: Object.entries(options.tags ?? {}).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
      }),
    );
    const keyId = created.KeyMetadata?.KeyId as string;
    if (options.alias !== undefined) await kms.send(new CreateAliasCommand({ AliasName: options.alias, TargetKeyId: keyId }));
    return { keyId, keyArn: created.KeyMetadata?.Arn as string };
  }

  const aliasTarget = async (alias: string) => (await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.KeyId;
  const stateOf = async (keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  const tagsOf = async (keyId: string) =>
    Object.fromEntries(
      ((await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags ?? []).map((tag) => [tag.TagKey, tag.TagValue]),
    );
  const aliases = async () =>
    ((await kms.send(new ListAliasesCommand({}))).Aliases ?? [])
      .map((alias) => alias.AliasName)
      .filter((name) => !name?.startsWith('alias/aws/'));

  it('rotates an alias: a new key like the old one, parked, the alias moved, verified, the old key scheduled for deletion 30 days out, then rolled back', async () => {
    const old = await createKey({ tags: { team: 'payments' }, alias: 'alias/app' });
    const now = DateTime.utc();
    const token = randomUUID();

    const before = await store.preflight(target);
    expect(before.key).toMatchObject({
      keyId: old.keyId,
      state: 'Enabled',
      keySpec: 'SYMMETRIC_DEFAULT',
      keyUsage: 'ENCRYPT_DECRYPT',
      manager: 'CUSTOMER',
    });
    expect(before.pending).toBeNull();

    const created = await store.createSuccessorKey(target, { now, requestToken: token });
    expect(created).toMatchObject({ description: `App key ${now.toFormat('yyyyLLdd')}`, adopted: false });
    const fresh = await stateOf(created.keyId);
    expect(fresh).toMatchObject({
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
      Description: created.description,
    });
    expect(await tagsOf(created.keyId)).toEqual({ team: 'payments', [REQUEST_TOKEN_TAG]: token, [SUCCESSOR_OF_TAG]: old.keyId });
    const policyOf = async (keyId: string) =>
      JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy as string) as unknown;
    expect(await policyOf(created.keyId)).toEqual(await policyOf(old.keyId));
    // Created, not yet in use: consumers still get the old key; the new one waits under the pending alias.
    expect(await aliasTarget('alias/app')).toBe(old.keyId);
    expect(await aliasTarget(pendingAliasOf('alias/app'))).toBe(created.keyId);
    expect((await store.describe(target)).pending).toMatchObject({ keyId: created.keyId, requestToken: token });

    // A retried create step adopts its own key; another rotation's is refused by name.
    expect(await store.createSuccessorKey(target, { now, requestToken: token })).toMatchObject({ keyId: created.keyId, adopted: true });
    await expect(store.createSuccessorKey(target, { now, requestToken: randomUUID() })).rejects.toThrow(
      `Another rotation's new key ${created.keyId} is waiting under alias/rotor-pending/app`,
    );

    await expect(store.moveAlias(target, { toKeyId: created.keyId, expectedCurrentKeyId: created.keyId })).rejects.toThrow(
      /points at key .* not .* someone moved the alias/,
    );
    expect(await aliasTarget('alias/app')).toBe(old.keyId);
    await store.moveAlias(target, { toKeyId: created.keyId, expectedCurrentKeyId: old.keyId });
    await store.moveAlias(target, { toKeyId: created.keyId, expectedCurrentKeyId: old.keyId });
    expect(await aliasTarget('alias/app')).toBe(created.keyId);
    expect(await aliases()).toEqual(['alias/app']);

    expect(await store.verify(target, { expectedKeyId: created.keyId })).toEqual({
      keyId: created.keyId,
      keyArn: fresh?.Arn,
      roundTrip: 'passed',
    });
    await expect(store.verify(target, { expectedKeyId: old.keyId })).rejects.toThrow(`points at key ${created.keyId}, not ${old.keyId}`);

    // The key in use is never scheduled for deletion; a window outside 7-30 days is refused before KMS is asked.
    await expect(store.scheduleDeletion(target, { keyId: created.keyId, pendingWindowDays: 30 })).rejects.toThrow('still points at key');
    await expect(store.scheduleDeletion(target, { keyId: old.keyId, pendingWindowDays: 6 })).rejects.toThrow('from 7 to 30');
    await expect(store.scheduleDeletion(target, { keyId: old.keyId, pendingWindowDays: 31 })).rejects.toThrow('from 7 to 30');
    expect((await stateOf(old.keyId))?.KeyState).toBe('Enabled');

    const scheduled = await store.scheduleDeletion(target, { keyId: old.keyId, pendingWindowDays: 30 });
    const pendingDeletion = await stateOf(old.keyId);
    expect(pendingDeletion?.KeyState).toBe('PendingDeletion');
    expect(scheduled).toEqual({
      keyId: old.keyId,
      keyArn: old.keyArn,
      deletionDate: pendingDeletion?.DeletionDate?.toISOString(),
      scheduledNow: true,
    });
    // KMS's own clock set the date: 30 days after the key's creation moments ago.
    expect(Math.round((Date.parse(scheduled.deletionDate) - (pendingDeletion?.CreationDate as Date).getTime()) / DAY_MS)).toBe(30);
    expect(await store.scheduleDeletion(target, { keyId: old.keyId, pendingWindowDays: 30 })).toEqual({
      ...scheduled,
      scheduledNow: false,
    });

    const rolledBack = await store.rollback(target, { toKeyId: old.keyId, fromKeyId: created.keyId });
    expect(rolledBack).toEqual({ keyId: old.keyId, cancelledDeletion: true, reenabled: true });
    expect(await aliasTarget('alias/app')).toBe(old.keyId);
    expect((await stateOf(old.keyId))?.KeyState).toBe('Enabled');
    expect(await store.verify(target, { expectedKeyId: old.keyId })).toMatchObject({ roundTrip: 'passed' });
    expect(await store.rollback(target, { toKeyId: old.keyId, fromKeyId: created.keyId })).toEqual({
      keyId: old.keyId,
      cancelledDeletion: false,
      reenabled: false,
    });
  });

  it('refuses an alias that does not exist, or points at a disabled key, naming it and changing nothing', async () => {
    await expect(store.preflight(target)).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('prod/payments/app_key (alias/app)'),
    });
    const disabled = await createKey({ alias: 'alias/app' });
    await kms.send(new DisableKeyCommand({ KeyId: disabled.keyId }));
    await expect(store.preflight(target)).rejects.toThrow(`the alias points at key ${disabled.keyId}, which is Disabled, not Enabled`);
    await expect(store.createSuccessorKey(target, { now: DateTime.utc(), requestToken: randomUUID() })).rejects.toThrow(
      'which is Disabled',
    );
    expect(await aliases()).toEqual(['alias/app']);
  });

  it('refuses a key whose policy Rotor may not read or KMS will not accept for the new key, creating nothing', async () => {
    await createKey({ alias: 'alias/app' });
    proxied = new AwsFaultServer(moto.endpoint);
    const endpoint = await proxied.start();
    const viaProxy = new AwsKmsKeyStore({ retry: FAST, endpoint });
    try {
      proxied.queue({ kind: 'error', status: 400, type: 'AccessDeniedException', message: 'not allowed' }, 1, 'GetKeyPolicy');
      await expect(viaProxy.preflight(target)).rejects.toThrow('Rotor may not read the key policy');

      proxied.queue(
        {
          kind: 'error',
          status: 400,
          type: 'MalformedPolicyDocumentException',
          message: 'The new key policy will not allow you to update the key policy in the future.',
        },
        1,
        'CreateKey',
      );
      await expect(viaProxy.createSuccessorKey(target, { now: DateTime.utc(), requestToken: randomUUID() })).rejects.toMatchObject({
        code: 'forbidden',
        message: expect.stringContaining("KMS refused the old key's policy for the new key"),
      });
      expect(await aliases()).toEqual(['alias/app']);
    } finally {
      viaProxy.destroy();
    }
  });

  it('disables a compromised key only after the alias has moved off it; twice is harmless', async () => {
    const old = await createKey({ alias: 'alias/app' });
    await expect(store.disableKey(target, { keyId: old.keyId })).rejects.toThrow('alias/app of prod/payments/app_key still points at key');
    expect((await stateOf(old.keyId))?.KeyState).toBe('Enabled');
    const created = await store.createSuccessorKey(target, { now: DateTime.utc(), requestToken: randomUUID() });
    await store.moveAlias(target, { toKeyId: created.keyId, expectedCurrentKeyId: old.keyId });
    expect(await store.disableKey(target, { keyId: old.keyId })).toEqual({ keyId: old.keyId, action: 'disabled' });
    expect((await stateOf(old.keyId))?.KeyState).toBe('Disabled');
    expect(await store.disableKey(target, { keyId: old.keyId })).toEqual({ keyId: old.keyId, action: 'already_disabled' });
  });

  it("enables KMS's automatic rotation and lists the rotations KMS performed", async () => {
    const key = await createKey({ alias: 'alias/app' });
    await expect(store.enableAutomaticRotation(target, { periodDays: 89 })).rejects.toThrow('every 90 to 2560 days');
    const enabled = await store.enableAutomaticRotation(target, { periodDays: 180 });
    expect(enabled).toMatchObject({ keyId: key.keyId, enabled: true });
    expect(await store.listRotations(target)).toEqual([]);
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.keyId }));
    expect(await store.listRotations(target)).toEqual([{ keyId: key.keyId, rotatedAt: expect.any(String), type: 'ON_DEMAND' }]);
  });

  it('copies an asymmetric key, verifies it by alias without a round trip, and refuses automatic rotation for it', async () => {
    await createKey({ spec: 'RSA_2048', usage: 'SIGN_VERIFY', alias: 'alias/app' });
    const created = await store.createSuccessorKey(target, { now: DateTime.utc(), requestToken: randomUUID() });
    expect(await stateOf(created.keyId)).toMatchObject({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
    const before = (await store.describe(target)).key.keyId;
    await store.moveAlias(target, { toKeyId: created.keyId, expectedCurrentKeyId: before });
    expect(await store.verify(target, { expectedKeyId: created.keyId })).toMatchObject({ roundTrip: 'not_applicable' });
    await expect(store.enableAutomaticRotation(target, { periodDays: 365 })).rejects.toThrow('only symmetric encryption keys');
  });

  it('tags a key (provenance) and gives the retrieval line', async () => {
    const key = await createKey({ tags: { team: 'payments' }, alias: 'alias/app' });
    await store.tagKey(target, { keyId: key.keyId, tags: { version: '1', rotated_by: 'U0123ABCD' } });
    expect(await tagsOf(key.keyId)).toEqual({ team: 'payments', version: '1', rotated_by: 'U0123ABCD' });
    expect(store.retrievalLine({ ...target, providerRef: 'eu-west-1:alias/app' })).toBe(
      'aws kms describe-key --key-id alias/app --region eu-west-1 --query KeyMetadata.Arn --output text',
    );
  });

  it('translates access denied into a RotorError that names the secret, its alias and where the permissions are listed', async () => {
    const endpoint = await faults.start();
    const offline = new AwsKmsKeyStore({ retry: FAST, endpoint });
    try {
      faults.queue({ kind: 'error', status: 400, type: 'AccessDeniedException', message: 'no' }, 2);
      const error = await offline.describe(target).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RotorError);
      expect(error).toMatchObject({
        code: 'forbidden',
        message: expect.stringContaining('Could not describe prod/payments/app_key (alias/app) in AWS KMS: access denied'),
      });
    } finally {
      offline.destroy();
    }
  });
});
