import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import type { RetryPolicy } from '../../src/providers/call-with-retry.js';
import { createFingerprinter } from '../../src/providers/fingerprint.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { useFakeVault } from '../support/vault.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';
import { providerHarness } from '../support/provider-harness.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

const fingerprintOf = (value: string) => createFingerprinter(null).of(value);

const FAST: RetryPolicy = { attempts: 2, timeoutMs: 1_000, baseDelayMs: 1, maxDelayMs: 5 };
const OWNER = 'U0123ABCD';

describe.runIf(shouldRunMotoSuite('the AWS sync/discover suite'))('rotor sync and rotor discover against moto', () => {
  const moto = useMoto();
  let store: TempStore;
  let aws: AwsSecretsManagerProvider;

  beforeEach(async () => {
    // The inventory's clock sits before moto's real clock, so versions moto writes are newer.
    store = openTempStore({ at: '2026-01-10T09:00:00Z' });
    aws = new AwsSecretsManagerProvider({ retry: FAST });
  });
  afterEach(() => {
    aws.destroy();
    store.close();
  });

  it('rotor sync records an out-of-band PutSecretValue as a rotation outside Rotor (dry run first)', async () => {
    const initial = await moto.sdk.send(
      new CreateSecretCommand({ Name: 'prod/app/db', SecretString: `v-${randomBytes(6).toString('hex')}` }),
    );
    store.inventoryService.create(
      { name: 'prod/app/db', type: 'database', owner: OWNER, provider: 'aws', providerRef: 'prod/app/db', lastRotated: '2026-01-01' },
      operator('U0ADMIN'),
      'test',
    );
    store.inventoryService.recordVersion(
      'prod/app/db',
      { versionId: initial.VersionId as string, fingerprint: 'f'.repeat(64) },
      operator('U0ADMIN'),
    );
    const harness = providerHarness(store, { aws });

    expect((await harness.cli('sync')).stdout).toContain('Everything matches.');

    const outOfBand = `oob-${randomBytes(6).toString('hex')}`;
    const put = await moto.sdk.send(new PutSecretValueCommand({ SecretId: 'prod/app/db', SecretString: outOfBand }));

    const before = snapshotTables(store);
    const dry = await harness.cli('sync', '--dry-run', '--provider', 'aws');
    expect(dry.stdout).toMatch(
      /dry run: nothing written[\s\S]*Rotations outside Rotor \(would record\):\n {2}prod\/app\/db: rotated outside Rotor at .*: version /,
    );
    expect(snapshotTables(store)).toEqual(before);

    const real = await harness.cli('sync');
    expect(real.code).toBe(0);
    expect(real.stdout).toContain(`version ${put.VersionId}`);
    const secret = store.inventory.get('prod/app/db');
    expect(secret?.currentVersionId).toBe(put.VersionId);
    expect(secret?.currentFingerprint).toBe(fingerprintOf(outOfBand));
    expect(secret?.lastRotated).not.toBe('2026-01-01T00:00:00.000Z');
    const event = store.db.prepare("SELECT actor, details FROM audit_events WHERE action = 'secret.rotated_outside_rotor'").get() as {
      actor: string;
      details: string;
    };
    expect(event.actor).toMatch(/^cli/);
    expect(JSON.parse(event.details)).toMatchObject({ versionId: put.VersionId, previousVersionId: initial.VersionId, source: 'sync' });

    // Running again finds nothing new.
    expect((await harness.cli('sync')).stdout).toContain('Everything matches.');
  });

  it('rotor sync flags a reference that no longer resolves and exits non-zero, writing nothing', async () => {
    store.inventoryService.create(
      { name: 'prod/app/gone', type: 'database', owner: OWNER, provider: 'aws', providerRef: 'prod/app/gone' },
      operator('U0ADMIN'),
      'test',
    );
    const harness = providerHarness(store, { aws });
    const before = snapshotTables(store);
    const result = await harness.cli('sync');
    expect(result.stdout).toMatch(
      /References that no longer resolve:\n {2}prod\/app\/gone: prod\/app\/gone points to prod\/app\/gone, which does not exist/,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/rotor: 1 secret could not be synced/);
    expect(snapshotTables(store)).toEqual(before);
  });

  it('rotor sync reports owner-tag drift', async () => {
    await moto.sdk.send(
      new CreateSecretCommand({ Name: 'prod/app/db', SecretString: 'x1', Tags: [{ Key: 'rotor:owner', Value: 'U0OTHER' }] }),
    );
    store.inventoryService.create(
      { name: 'prod/app/db', type: 'database', owner: OWNER, provider: 'aws', providerRef: 'prod/app/db' },
      operator('U0ADMIN'),
      'test',
    );
    const result = await providerHarness(store, { aws }).cli('sync');
    expect(result.stdout).toMatch(/Drift:\n {2}prod\/app\/db: the provider's owner tag says U0OTHER, the inventory says U0123ABCD/);
  });

  it('rotor discover --dry-run proposes entries from tags, then adds them (--apply is the older spelling)', async () => {
    const tags = (entries: Record<string, string>) => Object.entries(entries).map(([Key, Value]) => ({ Key, Value }));
    await moto.sdk.send(
      new CreateSecretCommand({
        Name: 'prod/postgres/connection_string',
        SecretString: 'x',
        Tags: tags({ 'rotor:owner': OWNER, 'rotor:type': 'database', 'rotor:team': 'payments' }),
      }),
    );
    await moto.sdk.send(
      new CreateSecretCommand({
        Name: 'legacy-key',
        SecretString: 'x',
        Tags: tags({ 'rotor:owner': OWNER, 'rotor:name': 'staging/legacy/api_key', 'rotor:interval_days': '30' }),
      }),
    );
    await moto.sdk.send(new CreateSecretCommand({ Name: 'Bad Name', SecretString: 'x', Tags: tags({ 'rotor:owner': 'not-a-user' }) }));
    await moto.sdk.send(new CreateSecretCommand({ Name: 'prod/untagged/key', SecretString: 'x' }));
    const harness = providerHarness(store, { aws });

    const before = snapshotTables(store);
    const dry = await harness.cli('discover', '--provider', 'aws', '--tag-key', 'rotor:owner', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Would add 2 new secret(s) (dry run: nothing written; run without --dry-run to add them):');
    expect(dry.stdout).toMatch(
      /\+ prod\/postgres\/connection_string {2}type=database owner=U0123ABCD every 90 days {2}arn:aws:secretsmanager:/,
    );
    expect(dry.stdout).toMatch(/\+ staging\/legacy\/api_key {2}type=api_key owner=U0123ABCD every 30 days/);
    expect(dry.stdout).toMatch(/Cannot propose 1 secret\(s\) as tagged:\n {2}! arn:aws:secretsmanager:.*Bad Name/);
    expect(dry.stdout).toMatch(/name: .*or tag the secret with rotor:name/);
    expect(dry.stdout).toMatch(/owner: `not-a-user` is not a Slack user id/);
    expect(dry.stdout).not.toContain('prod/untagged/key');
    expect(snapshotTables(store)).toEqual(before);

    const applied = await harness.cli('discover', '--provider', 'aws', '--tag-key', 'rotor:owner', '--apply');
    expect(applied.stdout).toContain('Added 2 secret(s) to the inventory:');
    expect(store.inventory.get('prod/postgres/connection_string')).toMatchObject({
      provider: 'aws',
      owner: OWNER,
      team: 'payments',
      type: 'database',
    });
    expect(store.inventory.get('staging/legacy/api_key')?.providerRef).toMatch(/:secret:legacy-key-/);

    const again = await harness.cli('discover', '--provider', 'aws', '--tag-key', 'rotor:owner');
    expect(again.stdout).toContain('No new secrets to propose.');
    expect(again.stdout).toContain('Already in the inventory: prod/postgres/connection_string, staging/legacy/api_key.');
  });
});

describe.runIf(shouldRunMotoSuite('the AWS duplicate-reference suite'))(
  'discover and sync compare references in canonical form (moto)',
  () => {
    const moto = useMoto();
    let store: TempStore;
    let aws: AwsSecretsManagerProvider;
    beforeEach(() => {
      store = openTempStore({ at: '2026-01-10T09:00:00Z' });
      aws = new AwsSecretsManagerProvider({ retry: FAST });
    });
    afterEach(() => {
      aws.destroy();
      store.close();
    });

    it('an entry written region:name is the secret discover finds by ARN: nothing is added twice; sync reports old duplicates', async () => {
      const tags = [{ Key: 'rotor:owner', Value: OWNER }];
      await moto.sdk.send(new CreateSecretCommand({ Name: 'prod/app/db', SecretString: 'x', Tags: tags }));
      store.inventoryService.create(
        { name: 'prod/app/db_password', owner: OWNER, provider: 'aws', providerRef: 'us-east-1:prod/app/db' },
        operator('U0ADMIN'),
        'test',
      );
      const harness = providerHarness(store, { aws });
      const before = snapshotTables(store);
      const discovered = await harness.cli('discover', '--provider', 'aws', '--tag-key', 'rotor:owner');
      expect(discovered.stdout).toContain('No new secrets to propose.');
      expect(discovered.stdout).toContain('Already in the inventory: prod/app/db_password.');
      expect(snapshotTables(store)).toEqual(before);

      // An inventory made before Rotor refused duplicates: sync says which entries track one secret.
      const arn = (await aws.listForDiscovery({})).find((secret) => secret.storeName === 'prod/app/db')!.providerRef;
      store.db
        .prepare(`INSERT INTO secrets (name, environment, service, credential_type, type, provider, provider_ref, interval_days, next_rotation, created_at, updated_at)
      VALUES ('prod/app/db', 'prod', 'app', 'db', 'database', 'aws', ?, 90, '2026-01-10', '2026-01-10T09:00:00Z', '2026-01-10T09:00:00Z')`)
        .run(arn);
      const synced = await harness.cli('sync', '--dry-run', '--json');
      expect(JSON.parse(synced.stdout).drift).toContainEqual({
        secret: 'prod/app/db_password',
        message:
          'tracks the AWS secret prod/app/db in us-east-1, as `prod/app/db` does; retire one of the two entries so it is reminded and synced once',
      });
    });
  },
);

describe('rotor sync and rotor discover against the Vault KV v2 fake', () => {
  const { fake, token } = useFakeVault();
  let store: TempStore;
  let vault: VaultKv2Provider;

  beforeEach(() => {
    store = openTempStore({ at: '2026-01-10T09:00:00Z' });
    vault = new VaultKv2Provider({ endpoint: fake.address, token, retry: FAST });
  });
  afterEach(() => store.close());

  it('rotor sync picks up a version written outside Rotor', async () => {
    fake.putSecret('secret', 'prod/app/db', { value: 'a' });
    store.inventoryService.create(
      {
        name: 'prod/app/db',
        type: 'database',
        owner: OWNER,
        provider: 'vault',
        providerRef: 'secret/prod/app/db',
        lastRotated: '2026-01-01',
      },
      operator('U0ADMIN'),
      'test',
    );
    store.inventoryService.recordVersion('prod/app/db', { versionId: '1', fingerprint: fingerprintOf('a') }, operator('U0ADMIN'));
    const harness = providerHarness(store, { vault }, { VAULT_ADDR: fake.address, VAULT_TOKEN: token });
    const value = `b-${randomBytes(4).toString('hex')}`;
    fake.putSecret('secret', 'prod/app/db', { value });
    const result = await harness.cli('sync', '--provider', 'vault');
    expect(result.stdout).toMatch(/prod\/app\/db: rotated outside Rotor at .*: version 2/);
    expect(store.inventory.get('prod/app/db')).toMatchObject({ currentVersionId: '2', currentFingerprint: fingerprintOf(value) });
  });

  it('rotor sync leaves an open rotation alone and reports the drift', async () => {
    fake.putSecret('secret', 'prod/app/db', { value: 'a' });
    store.inventoryService.create(
      { name: 'prod/app/db', type: 'database', owner: OWNER, provider: 'vault', providerRef: 'secret/prod/app/db' },
      operator('U0ADMIN'),
      'test',
    );
    store.inventoryService.setLifecycle('prod/app/db', 'rotating', operator('U0ADMIN'));
    const harness = providerHarness(store, { vault }, { VAULT_ADDR: fake.address, VAULT_TOKEN: token });
    const before = snapshotTables(store);
    const result = await harness.cli('sync');
    expect(result.stdout).toMatch(/Drift:\n {2}prod\/app\/db: is rotating in Rotor/);
    expect(snapshotTables(store)).toEqual(before);
  });

  it('rotor sync reports Vault being down per secret, writing nothing', async () => {
    store.inventoryService.create(
      { name: 'prod/app/db', type: 'database', owner: OWNER, provider: 'vault', providerRef: 'secret/prod/app/db' },
      operator('U0ADMIN'),
      'test',
    );
    const harness = providerHarness(store, { vault }, { VAULT_ADDR: fake.address, VAULT_TOKEN: token });
    fake.failNext(10, 503, ['Vault is sealed']);
    const before = snapshotTables(store);
    const result = await harness.cli('sync');
    expect(result.stdout).toMatch(
      /Not checked this time:\n {2}prod\/app\/db: Could not describe prod\/app\/db in Vault: Vault is unavailable/,
    );
    expect(result.stderr).toMatch(/could not be synced/);
    expect(snapshotTables(store)).toEqual(before);
  });

  it('rotor discover proposes entries from custom_metadata and needs --mount', async () => {
    fake.putSecret('secret', 'prod/redis/password', { value: 'x' }, { owner: OWNER, type: 'redis', interval: '60 days' });
    fake.putSecret('secret', 'dev/scratch/token', { value: 'x' });
    const harness = providerHarness(store, { vault }, { VAULT_ADDR: fake.address, VAULT_TOKEN: token });
    const noMount = await harness.cli('discover', '--provider', 'vault');
    expect(noMount.code).toBe(2);
    expect(noMount.stderr).toMatch(/needs the mount to walk: add --mount secret/);
    const result = await harness.cli('discover', '--provider', 'vault', '--mount', 'secret', '--tag-key', 'owner');
    expect(result.stdout).toMatch(/\+ prod\/redis\/password {2}type=redis owner=U0123ABCD every 60 days {2}secret\/prod\/redis\/password/);
    expect(result.stdout).not.toContain('dev/scratch');
  });
});
