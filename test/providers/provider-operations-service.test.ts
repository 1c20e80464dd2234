import { randomBytes } from 'node:crypto';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import type { RetryPolicy } from '../../src/providers/call-with-retry.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { useFakeVault } from '../support/vault.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';
import { operator } from '../support/actors.js';
import { providerHarness } from '../support/provider-harness.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';

const FAST: RetryPolicy = { attempts: 2, timeoutMs: 1_000, baseDelayMs: 1, maxDelayMs: 5 };
const OWNER = 'U0123ABCD';
const ACTOR = operator('security-lead');

describe.runIf(shouldRunMotoSuite('the AWS provider service suite'))('provider steps for an AWS-backed secret (moto)', () => {
  const moto = useMoto();
  let store: TempStore;
  let aws: AwsSecretsManagerProvider;

  beforeEach(async () => {
    store = openTempStore({ at: '2026-11-22T10:00:00Z' });
    aws = new AwsSecretsManagerProvider({ retry: FAST });
  });
  afterEach(() => {
    aws.destroy();
    store.close();
  });

  it('validate → create → promote → verify → (after retention) deprecate; the inventory matches the provider', async () => {
    const initial = await moto.sdk.send(
      new CreateSecretCommand({ Name: 'prod/payments/stripe_key', SecretString: `v-${randomBytes(6).toString('hex')}` }),
    );
    store.inventoryService.create(
      { name: 'prod/payments/stripe_key', type: 'api_key', owner: OWNER, provider: 'aws', providerRef: 'prod/payments/stripe_key' },
      ACTOR,
      'test',
    );
    const { providers } = providerHarness(store, { aws });
    const steps = providers.operations;

    const described = await steps.validate(store.inventoryService.require('prod/payments/stripe_key'));
    expect(described.current?.versionId).toBe(initial.VersionId);

    const created = await steps.createVersion(store.inventoryService.require('prod/payments/stripe_key'), ACTOR);
    expect(created.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    await steps.promote(
      store.inventoryService.require('prod/payments/stripe_key'),
      { newVersionId: created.versionId, expectedCurrentVersionId: initial.VersionId as string },
      ACTOR,
    );
    const promotedAt = store.clock.now().toISO() as string;
    await steps.verify(
      store.inventoryService.require('prod/payments/stripe_key'),
      { versionId: created.versionId, fingerprint: created.fingerprint },
      ACTOR,
    );

    await expect(
      steps.deprecatePrevious(
        store.inventoryService.require('prod/payments/stripe_key'),
        { previousVersionId: initial.VersionId as string, promotedAt },
        ACTOR,
      ),
    ).rejects.toThrow(/kept until 2026-11-24T10:00:00.000Z \(retention 48 h/);
    store.clock.advance({ hours: 49 });
    await steps.deprecatePrevious(
      store.inventoryService.require('prod/payments/stripe_key'),
      { previousVersionId: initial.VersionId as string, promotedAt },
      ACTOR,
    );

    const provider = await aws.describe({ secretName: 'prod/payments/stripe_key', providerRef: 'prod/payments/stripe_key' });
    const readBack = await aws.readCurrent({ secretName: 'prod/payments/stripe_key', providerRef: 'prod/payments/stripe_key' });
    const secret = store.inventory.get('prod/payments/stripe_key');
    expect(secret?.currentVersionId).toBe(provider.current?.versionId);
    expect(secret?.currentFingerprint).toBe(readBack.fingerprint);
    expect(provider.others.find((version) => version.versionId === initial.VersionId)?.labels ?? []).toEqual([]);

    const actions = store.db
      .prepare("SELECT action FROM audit_events WHERE secret = 'prod/payments/stripe_key' ORDER BY seq")
      .pluck()
      .all();
    expect(actions).toEqual([
      'secret.created',
      'provider.version_created',
      'provider.version_promoted',
      'provider.version_verified',
      'provider.version_deprecated',
    ]);
  });

  it('a missing secret, a stale promote and a bad reference record nothing', async () => {
    store.inventoryService.create(
      { name: 'prod/app/db', type: 'database', owner: OWNER, provider: 'aws', providerRef: 'prod/app/db' },
      ACTOR,
      'test',
    );
    const { providers } = providerHarness(store, { aws });
    const before = snapshotTables(store);
    await expect(providers.operations.createVersion(store.inventoryService.require('prod/app/db'), ACTOR)).rejects.toThrow(
      /prod\/app\/db points to prod\/app\/db, which does not exist/,
    );
    await expect(
      providers.operations.verify(store.inventoryService.require('prod/app/db'), { versionId: 'x', fingerprint: null }, ACTOR),
    ).rejects.toMatchObject({ code: 'not_found' });

    const initial = await moto.sdk.send(
      new CreateSecretCommand({ Name: 'prod/app/db', SecretString: `v-${randomBytes(6).toString('hex')}` }),
    );
    const created = await providers.operations.createVersion(store.inventoryService.require('prod/app/db'), ACTOR);
    const afterCreate = snapshotTables(store);
    expect(afterCreate.audit_events).toHaveLength((before.audit_events as unknown[]).length + 1);
    await expect(
      providers.operations.promote(
        store.inventoryService.require('prod/app/db'),
        { newVersionId: created.versionId, expectedCurrentVersionId: 'someone-elses' },
        ACTOR,
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(
      providers.operations.verify(
        store.inventoryService.require('prod/app/db'),
        { versionId: created.versionId, fingerprint: created.fingerprint },
        ACTOR,
      ),
    ).rejects.toThrow(new RegExp(`current version is ${initial.VersionId}, not ${created.versionId}`));
    expect(snapshotTables(store)).toEqual(afterCreate);

    // A malformed ARN (written straight into the row; the import would refuse it) fails before any call.
    store.db
      .prepare('UPDATE secrets SET provider_ref = ? WHERE name = ?')
      .run('arn:aws:secretsmanager:us-east-1:42:secret:prod/app/db', 'prod/app/db');
    const malformed = snapshotTables(store);
    await expect(providers.operations.createVersion(store.inventoryService.require('prod/app/db'), ACTOR)).rejects.toThrow(
      /The AWS reference of prod\/app\/db is malformed.*Use an ARN such as/,
    );
    expect(snapshotTables(store)).toEqual(malformed);
  });
});

describe('provider steps for a Vault-backed secret (KV v2 fake)', () => {
  const { fake, token } = useFakeVault({ secret: 2, legacy: 1 });
  let store: TempStore;
  let vault: VaultKv2Provider;

  beforeEach(() => {
    store = openTempStore({ at: '2026-11-22T10:00:00Z' });
    vault = new VaultKv2Provider({ endpoint: fake.address, token, retry: FAST });
  });
  afterEach(() => store.close());

  it('validate → create (current at once) → promote → verify → (after retention) soft-delete; the inventory matches Vault', async () => {
    fake.putSecret('secret', 'prod/payments/webhook', { value: `v-${randomBytes(6).toString('hex')}` });
    store.inventoryService.create(
      { name: 'prod/payments/webhook_hmac', type: 'webhook', owner: OWNER, provider: 'vault', providerRef: 'secret/prod/payments/webhook' },
      ACTOR,
      'test',
    );
    const { providers } = providerHarness(store, { vault });
    const steps = providers.operations;

    await steps.validate(store.inventoryService.require('prod/payments/webhook_hmac'));
    const created = await steps.createVersion(store.inventoryService.require('prod/payments/webhook_hmac'), ACTOR);
    expect(created).toMatchObject({ versionId: '2', promotedOnCreate: true });
    await steps.promote(
      store.inventoryService.require('prod/payments/webhook_hmac'),
      { newVersionId: '2', expectedCurrentVersionId: '1' },
      ACTOR,
    );
    await steps.verify(
      store.inventoryService.require('prod/payments/webhook_hmac'),
      { versionId: '2', fingerprint: created.fingerprint },
      ACTOR,
    );
    const promotedAt = store.clock.now().toISO() as string;
    await expect(
      steps.deprecatePrevious(store.inventoryService.require('prod/payments/webhook_hmac'), { previousVersionId: '1', promotedAt }, ACTOR),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(fake.version('secret', 'prod/payments/webhook', 1)?.deletion_time).toBe('');
    store.clock.advance({ hours: 48 });
    await steps.deprecatePrevious(
      store.inventoryService.require('prod/payments/webhook_hmac'),
      { previousVersionId: '1', promotedAt },
      ACTOR,
    );
    expect(fake.version('secret', 'prod/payments/webhook', 1)?.deletion_time).not.toBe('');

    const target = { secretName: 'prod/payments/webhook_hmac', providerRef: 'secret/prod/payments/webhook' };
    const readBack = await vault.readCurrent(target);
    const secret = store.inventory.get('prod/payments/webhook_hmac');
    expect({ versionId: secret?.currentVersionId, fingerprint: secret?.currentFingerprint }).toEqual(readBack);

    const revoked = await steps.disableCompromised(store.inventoryService.require('prod/payments/webhook_hmac'), { versionId: '2' }, ACTOR);
    expect(revoked.action).toBe('soft_deleted');
  });

  it('an outage leaves nothing recorded and the step can simply be run again', async () => {
    fake.putSecret('secret', 'prod/payments/webhook', { value: 'x' });
    store.inventoryService.create(
      { name: 'prod/payments/webhook_hmac', type: 'webhook', owner: OWNER, provider: 'vault', providerRef: 'secret/prod/payments/webhook' },
      ACTOR,
      'test',
    );
    const { providers } = providerHarness(store, { vault });
    const before = snapshotTables(store);
    fake.failNext(10, 503, ['Vault is sealed']);
    await expect(
      providers.operations.createVersion(store.inventoryService.require('prod/payments/webhook_hmac'), ACTOR),
    ).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(snapshotTables(store)).toEqual(before);
    expect(fake.version('secret', 'prod/payments/webhook', 2)).toBeUndefined();
    fake.failNext(0, 0, []);
    await expect(
      providers.operations.createVersion(store.inventoryService.require('prod/payments/webhook_hmac'), ACTOR),
    ).resolves.toMatchObject({ versionId: '2' });
  });

  it.each([
    [
      'a bad token',
      () => new VaultKv2Provider({ endpoint: fake.address, token: `wrong-${randomBytes(4).toString('hex')}`, retry: FAST }),
      'secret/prod/payments/webhook',
      /permission denied/,
    ],
    ['a KV v1 mount', () => vault, 'legacy/prod/payments/webhook', /KV version 1/],
    ['a missing secret', () => vault, 'secret/prod/payments/none', /does not exist in Vault/],
    ['a malformed path', () => vault, 'secret/data/prod/payments/webhook', /includes the API prefix/],
  ])('%s: a clear message and nothing recorded', async (_label, makeProvider, providerRef, message) => {
    fake.putSecret('secret', 'prod/payments/webhook', { value: 'x' });
    store.inventoryService.create(
      { name: 'prod/payments/webhook_hmac', type: 'webhook', owner: OWNER, provider: 'vault', providerRef: 'secret/prod/payments/webhook' },
      ACTOR,
      'test',
    );
    // Write the reference straight into the row: the import validator would refuse some of these first.
    store.db.prepare('UPDATE secrets SET provider_ref = ? WHERE name = ?').run(providerRef, 'prod/payments/webhook_hmac');
    const { providers } = providerHarness(store, { vault: makeProvider() });
    const before = snapshotTables(store);
    await expect(providers.operations.createVersion(store.inventoryService.require('prod/payments/webhook_hmac'), ACTOR)).rejects.toThrow(
      message,
    );
    await expect(providers.operations.createVersion(store.inventoryService.require('prod/payments/webhook_hmac'), ACTOR)).rejects.toThrow(
      /prod\/payments\/webhook_hmac/,
    );
    expect(snapshotTables(store)).toEqual(before);
  });
});
