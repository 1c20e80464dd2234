import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import type { RetryPolicy } from '../../src/providers/call-with-retry.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { useFakeVault } from '../support/vault.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';
import { providerHarness, type ProviderHarness } from '../support/provider-harness.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

const FAST: RetryPolicy = { attempts: 2, timeoutMs: 1_000, baseDelayMs: 1, maxDelayMs: 5 };
const OWNER = 'U0123ABCD';

function canary(): string {
  return `CANARY${randomBytes(8).toString('hex')}`;
}

/** Everything Rotor wrote: the database file and its WAL, every log line, every CLI output. */
function expectNowhere(markers: string[], store: TempStore, harness: ProviderHarness, outputs: string[]): void {
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const files = [store.path, `${store.path}-wal`, `${store.path}-shm`].filter(existsSync).map((path) => readFileSync(path));
  // Controls: the search does see what Rotor does store and log (the verified fingerprint).
  const verified = store.db.prepare("SELECT details FROM audit_events WHERE action = 'provider.version_verified'").pluck().get() as string;
  const fingerprint = (JSON.parse(verified) as { fingerprint: string }).fingerprint;
  expect(files.some((bytes) => bytes.includes(fingerprint))).toBe(true);
  expect(harness.logLines.some((line) => line.includes(fingerprint))).toBe(true);
  for (const marker of markers) {
    for (const bytes of files) expect(bytes.includes(marker)).toBe(false);
    for (const line of harness.logLines) expect(line).not.toContain(marker);
    for (const output of outputs) expect(output).not.toContain(marker);
  }
}

async function runRotation(harness: ProviderHarness, store: TempStore, name: string, previousVersionId: string): Promise<string[]> {
  const steps = harness.providers.operations;
  const outputs: string[] = [];
  const bound = store.inventoryService.require(name);
  await steps.validate(bound);
  // Where the value goes is decided from the stored value's shape: only names come back.
  const decision = await steps.valuePlacement(bound);
  outputs.push(decision.message);
  const created = await steps.createVersion(bound, operator('U0SEC'), decision.placement ? { placement: decision.placement } : {});
  outputs.push(JSON.stringify(created));
  await steps.promote(bound, { newVersionId: created.versionId, expectedCurrentVersionId: previousVersionId }, operator('U0SEC'));
  const promotedAt = store.clock.now().toISO() as string;
  outputs.push(
    JSON.stringify(await steps.verify(bound, { versionId: created.versionId, fingerprint: created.fingerprint }, operator('U0SEC'))),
  );
  // A failed verification's message must not carry the value either.
  await steps
    .verify(bound, { versionId: created.versionId, fingerprint: '0'.repeat(64) }, operator('U0SEC'))
    .catch((error: Error) => outputs.push(error.message));
  store.clock.advance({ hours: 49 });
  await steps.deprecatePrevious(bound, { previousVersionId, promotedAt }, operator('U0SEC'));
  return outputs;
}

describe.runIf(shouldRunMotoSuite('the AWS canary'))('canary: a generated AWS value leaks nowhere', () => {
  const moto = useMoto();
  let store: TempStore;

  beforeEach(() => {
    store = openTempStore({ at: '2026-01-10T09:00:00Z' });
  });
  afterEach(() => store.close());

  it('rotation, sync and discover never put the value in the database, the logs or the CLI output', async () => {
    const marker = canary();
    const outOfBandMarker = canary();
    const aws = new AwsSecretsManagerProvider({ retry: FAST, generateValue: async (generate) => `${marker}${await generate()}` });
    const initial = await moto.sdk.send(
      new CreateSecretCommand({ Name: 'prod/app/db', SecretString: canary(), Tags: [{ Key: 'rotor:owner', Value: OWNER }] }),
    );
    store.inventoryService.create(
      { name: 'prod/app/db', type: 'database', owner: OWNER, provider: 'aws', providerRef: 'prod/app/db' },
      operator('U0ADMIN'),
      'test',
    );
    const harness = providerHarness(store, { aws });

    const outputs = await runRotation(harness, store, 'prod/app/db', initial.VersionId as string);
    const current = await moto.sdk.send(new GetSecretValueCommand({ SecretId: 'prod/app/db', VersionStage: 'AWSCURRENT' }));
    expect(current.SecretString?.startsWith(marker)).toBe(true);

    await moto.sdk.send(new PutSecretValueCommand({ SecretId: 'prod/app/db', SecretString: outOfBandMarker }));
    for (const args of [
      ['sync'],
      ['sync', '--json'],
      ['discover', '--provider', 'aws', '--tag-key', 'rotor:owner', '--json'],
      ['show', 'prod/app/db', '--json'],
    ]) {
      const result = await harness.cli(...args);
      outputs.push(result.stdout, result.stderr);
    }
    const outOfBand = await moto.sdk.send(new GetSecretValueCommand({ SecretId: 'prod/app/db', VersionStage: 'AWSCURRENT' }));
    expect(store.inventory.get('prod/app/db')?.currentVersionId).toBe(outOfBand.VersionId);
    expectNowhere([marker, outOfBandMarker], store, harness, outputs);
    aws.destroy();
  });
});

describe.runIf(shouldRunMotoSuite('the AWS JSON canary'))('canary: a JSON-shaped AWS secret leaks none of its values', () => {
  const moto = useMoto();
  let store: TempStore;

  beforeEach(() => {
    store = openTempStore({ at: '2026-01-10T09:00:00Z' });
  });
  afterEach(() => store.close());

  it('the generated password, the old one and every other field stay out of the database, the logs and the CLI output', async () => {
    const marker = canary();
    const kept = { username: canary(), password: canary(), host: `${canary()}.internal`, port: 5432 };
    const aws = new AwsSecretsManagerProvider({ retry: FAST, generateValue: async (generate) => `${marker}${await generate()}` });
    const initial = await moto.sdk.send(
      new CreateSecretCommand({ Name: 'prod/app/db', SecretString: JSON.stringify(kept), Tags: [{ Key: 'rotor:owner', Value: OWNER }] }),
    );
    store.inventoryService.create(
      { name: 'prod/app/db', type: 'database', owner: OWNER, provider: 'aws', providerRef: 'prod/app/db' },
      operator('U0ADMIN'),
      'test',
    );
    const harness = providerHarness(store, { aws });

    const outputs = await runRotation(harness, store, 'prod/app/db', initial.VersionId as string);
    const current = JSON.parse(
      String((await moto.sdk.send(new GetSecretValueCommand({ SecretId: 'prod/app/db', VersionStage: 'AWSCURRENT' }))).SecretString),
    ) as Record<string, unknown>;
    expect(String(current.password).startsWith(marker)).toBe(true);
    expect({ ...current, password: null }).toEqual({ ...kept, password: null });

    // A refused shape says so with field names only, and writes nothing.
    const other = { user: canary(), pwd: canary() };
    await moto.sdk.send(new CreateSecretCommand({ Name: 'prod/app/other', SecretString: JSON.stringify(other) }));
    store.inventoryService.create(
      { name: 'prod/app/other', type: 'database', owner: OWNER, provider: 'aws', providerRef: 'prod/app/other' },
      operator('U0ADMIN'),
      'test',
    );
    const otherSecret = store.inventoryService.require('prod/app/other');
    const refused = await harness.providers.operations.valuePlacement(otherSecret);
    expect(refused.placement).toBeNull();
    outputs.push(refused.message);
    await harness.providers.operations
      .createVersion(otherSecret, operator('U0SEC'), { expectedCurrentVersionId: null, placement: { kind: 'field', field: 'password' } })
      .then(() => expect.unreachable('written'))
      .catch((error: Error) => outputs.push(error.message));
    for (const args of [['sync'], ['sync', '--json'], ['show', 'prod/app/db', '--json'], ['export']]) {
      const result = await harness.cli(...args);
      outputs.push(result.stdout, result.stderr);
    }
    expectNowhere([marker, kept.username, kept.password, kept.host, other.user, other.pwd], store, harness, outputs);
    aws.destroy();
  });
});

describe('canary: a generated Vault value leaks nowhere', () => {
  const { fake, token } = useFakeVault();
  let store: TempStore;

  beforeEach(() => {
    store = openTempStore({ at: '2026-01-10T09:00:00Z' });
  });
  afterEach(() => store.close());

  it('rotation, sync and discover never put the value in the database, the logs or the CLI output', async () => {
    const marker = canary();
    const outOfBandMarker = canary();
    const vault = new VaultKv2Provider({
      endpoint: fake.address,
      token,
      retry: FAST,
      generateValue: () => `${marker}${randomBytes(16).toString('hex')}`,
    });
    fake.putSecret('secret', 'prod/app/db', { value: canary() }, { owner: OWNER });
    store.inventoryService.create(
      { name: 'prod/app/db', type: 'database', owner: OWNER, provider: 'vault', providerRef: 'secret/prod/app/db' },
      operator('U0ADMIN'),
      'test',
    );
    const harness = providerHarness(store, { vault }, { VAULT_ADDR: fake.address, VAULT_TOKEN: token });

    const outputs = await runRotation(harness, store, 'prod/app/db', '1');
    expect(String(fake.version('secret', 'prod/app/db', 2)?.data?.value).startsWith(marker)).toBe(true);

    fake.putSecret('secret', 'prod/app/db', { value: outOfBandMarker });
    for (const args of [
      ['sync'],
      ['sync', '--json'],
      ['discover', '--provider', 'vault', '--mount', 'secret', '--json'],
      ['show', 'prod/app/db', '--json'],
    ]) {
      const result = await harness.cli(...args);
      outputs.push(result.stdout, result.stderr);
    }
    expect(store.inventory.get('prod/app/db')?.currentVersionId).toBe('3');
    expectNowhere([marker, outOfBandMarker], store, harness, outputs);
  });

  it('a secret of fields: the generated password, the old one and the other fields stay out of the database, the logs and the CLI output', async () => {
    const marker = canary();
    const kept = { password: canary(), username: canary(), url: `redis://${canary()}.internal:6379` };
    const vault = new VaultKv2Provider({
      endpoint: fake.address,
      token,
      retry: FAST,
      generateValue: () => `${marker}${randomBytes(16).toString('hex')}`,
    });
    fake.putSecret('secret', 'prod/cache/redis', kept, { owner: OWNER });
    store.inventoryService.create(
      { name: 'prod/cache/redis', type: 'redis', owner: OWNER, provider: 'vault', providerRef: 'secret/prod/cache/redis' },
      operator('U0ADMIN'),
      'test',
    );
    const harness = providerHarness(store, { vault }, { VAULT_ADDR: fake.address, VAULT_TOKEN: token });

    const outputs = await runRotation(harness, store, 'prod/cache/redis', '1');
    const written = fake.version('secret', 'prod/cache/redis', 2)?.data as Record<string, unknown>;
    expect(String(written.password).startsWith(marker)).toBe(true);
    expect({ ...written, password: null }).toEqual({ ...kept, password: null });
    for (const args of [['sync'], ['sync', '--json'], ['show', 'prod/cache/redis', '--json'], ['export']]) {
      const result = await harness.cli(...args);
      outputs.push(result.stdout, result.stderr);
    }
    expectNowhere([marker, kept.password, kept.username, kept.url], store, harness, outputs);
  });
});
