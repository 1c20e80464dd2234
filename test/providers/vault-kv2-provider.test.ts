import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../../src/providers/call-with-retry.js';
import { createFingerprinter } from '../../src/providers/fingerprint.js';
import type { ProviderTarget } from '../../src/providers/secret-provider.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { encodeVaultPath, parseVaultSecretRef } from '../../src/providers/vault/vault-secret-ref.js';
import { useFakeVault } from '../support/vault.js';

const fingerprintOf = (value: string) => createFingerprinter(null).of(value);

const FAST: RetryPolicy = { attempts: 3, timeoutMs: 2_000, baseDelayMs: 1, maxDelayMs: 5 };
const target: ProviderTarget = { secretName: 'prod/payments/webhook_hmac', providerRef: 'secret/prod/payments/webhook' };

describe('parseVaultSecretRef', () => {
  it('reads mount/path, mount:path for nested mounts and #field', () => {
    expect(parseVaultSecretRef('s', 'secret/prod/app/db')).toEqual({ mount: 'secret', path: 'prod/app/db', field: 'value' });
    expect(parseVaultSecretRef('s', 'team/kv:prod/app/db#password')).toEqual({ mount: 'team/kv', path: 'prod/app/db', field: 'password' });
  });

  it.each([
    ['secret', 'names no path'],
    ['secret/data/prod/app', 'includes the API prefix `data/`; write secret/prod/app'],
    ['secret/prod//app', 'is malformed'],
    ['secret/../sys/policy', 'is malformed'],
    ['secret/prod/app#', 'malformed #field'],
    ['secret/prod app', 'is malformed'],
  ])('refuses %j with a message naming the secret', (ref, problem) => {
    expect(() => parseVaultSecretRef('prod/app/db', ref)).toThrow(problem);
    expect(() => parseVaultSecretRef('prod/app/db', ref)).toThrow(/The Vault reference of prod\/app\/db is malformed/);
  });

  it('URL-encodes each path segment but keeps the slashes', () => {
    expect(encodeVaultPath('prod/a b/c%d')).toBe('prod/a%20b/c%25d');
  });
});

describe('VaultKv2Provider against the KV v2 fake', () => {
  const { fake, token } = useFakeVault({ secret: 2, 'team/kv': 2, legacy: 1 });
  let provider: VaultKv2Provider;

  beforeEach(() => {
    provider = new VaultKv2Provider({ endpoint: fake.address, token, namespace: 'team-a', retry: FAST });
  });

  it('validates, describes, writes a new version with check-and-set, reads it back and soft-deletes the previous', async () => {
    fake.putSecret(
      'secret',
      'prod/payments/webhook',
      { value: `old-${randomBytes(4).toString('hex')}` },
      { owner: 'U0123ABCD', interval: '180' },
    );
    await provider.validateReference(target);
    const before = await provider.describe(target);
    expect(before.current).toMatchObject({ versionId: '1', labels: ['current'] });
    expect(before.tags).toEqual({ owner: 'U0123ABCD', interval: '180' });

    const created = await provider.createVersion(target, { expectedCurrentVersionId: '1' });
    expect(created).toMatchObject({ versionId: '2', promotedOnCreate: true });
    const stored = fake.version('secret', 'prod/payments/webhook', 2)?.data?.value as string;
    expect(fingerprintOf(stored)).toBe(created.fingerprint);

    await provider.promote(target, { newVersionId: '2', expectedCurrentVersionId: '1' });
    expect(await provider.readCurrent(target)).toEqual({ versionId: '2', fingerprint: created.fingerprint });

    await expect(provider.deprecateVersion(target, '2')).rejects.toThrow(/still the current version/);
    await provider.deprecateVersion(target, '1');
    const after = await provider.describe(target);
    expect(after.others).toEqual([expect.objectContaining({ versionId: '1', labels: ['deleted'] })]);
    expect(fake.version('secret', 'prod/payments/webhook', 1)?.destroyed).toBe(false);

    // The namespace header travels with every request; LIST never goes out as a custom verb.
    expect(fake.requests.every((request) => request.namespace === 'team-a' && request.method !== 'LIST')).toBe(true);
  });

  it('disables a compromised version with a soft delete, and destroys only when asked', async () => {
    fake.putSecret('secret', 'prod/payments/webhook', { value: 'a' });
    fake.putSecret('secret', 'prod/payments/webhook', { value: 'b' });
    await expect(provider.disableVersion(target, { versionId: '1' })).resolves.toEqual({ versionId: '1', action: 'soft_deleted' });
    expect(fake.version('secret', 'prod/payments/webhook', 1)).toMatchObject({ destroyed: false, deletion_time: expect.any(String) });
    await expect(provider.disableVersion(target, { versionId: '2', destroy: true })).resolves.toEqual({
      versionId: '2',
      action: 'destroyed',
    });
    expect(fake.version('secret', 'prod/payments/webhook', 2)).toMatchObject({ destroyed: true, data: null });
    expect(fake.requests.some((request) => request.method === 'PUT' && request.path.startsWith('/v1/secret/destroy/'))).toBe(true);
    await expect(provider.disableVersion(target, { versionId: '9' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('fingerprints a field, or the whole secret when the field is absent', async () => {
    fake.putSecret('secret', 'prod/app/db', { password: 'p1', user: 'u1' });
    const whole = await provider.readCurrent({ secretName: 'prod/app/db', providerRef: 'secret/prod/app/db' });
    expect(whole.fingerprint).toBe(fingerprintOf(JSON.stringify({ password: 'p1', user: 'u1' })));
    const field = await provider.readCurrent({ secretName: 'prod/app/db', providerRef: 'secret/prod/app/db#password' });
    expect(field.fingerprint).toBe(fingerprintOf('p1'));
  });

  it('works on a nested mount written as mount:path', async () => {
    fake.putSecret('team/kv', 'prod/app/db', { value: 'x' });
    await expect(provider.readCurrent({ secretName: 'prod/app/db', providerRef: 'team/kv:prod/app/db' })).resolves.toMatchObject({
      versionId: '1',
    });
  });

  it('lists a mount recursively for discovery, filtered by a custom_metadata key', async () => {
    fake.putSecret('secret', 'prod/app/db', { value: 'x' }, { 'rotor:owner': 'U0123ABCD' });
    fake.putSecret('secret', 'prod/app/api/key', { value: 'x' }, { 'rotor:owner': 'U0456EFGH', 'rotor:type': 'api_key' });
    fake.putSecret('secret', 'dev/scratch', { value: 'x' });
    const found = await provider.listForDiscovery({ mount: 'secret', tagKey: 'rotor:owner' });
    expect(found.map((secret) => secret.providerRef).sort()).toEqual(['secret/prod/app/api/key', 'secret/prod/app/db']);
    expect(await provider.listForDiscovery({ mount: 'team/kv' })).toEqual([]);
    await expect(provider.listForDiscovery({})).rejects.toThrow(/needs the KV v2 mount/);
  });

  it('a check-and-set conflict: someone wrote meanwhile, nothing overwritten', async () => {
    fake.putSecret('secret', 'prod/payments/webhook', { value: 'a' });
    fake.beforeNextWrite = () => fake.putSecret('secret', 'prod/payments/webhook', { value: 'written-by-someone-else' });
    await expect(provider.createVersion(target, { expectedCurrentVersionId: '1' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/prod\/payments\/webhook_hmac.*check-and-set did not match.*rotor sync/),
    });
    expect((await provider.describe(target)).current?.versionId).toBe('2');
    expect(fake.version('secret', 'prod/payments/webhook', 3)).toBeUndefined();
  });

  it('a generated value keeps the shape: only the credential field changes, every other field is kept', async () => {
    const username = `app_${randomBytes(3).toString('hex')}`;
    fake.putSecret('secret', 'prod/app/db', { password: randomBytes(12).toString('hex'), username, port: 5432 });
    const db = { secretName: 'prod/app/db', providerRef: 'secret/prod/app/db' };
    expect(await provider.describeShape(db)).toEqual({
      kind: 'fields',
      fields: [
        { name: 'password', holds: 'string' },
        { name: 'username', holds: 'string' },
        { name: 'port', holds: 'number' },
      ],
    });
    const created = await provider.createVersion(db, { expectedCurrentVersionId: '1', placement: { kind: 'field', field: 'password' } });
    const before = fake.version('secret', 'prod/app/db', 1)?.data as Record<string, unknown>;
    const after = fake.version('secret', 'prod/app/db', 2)?.data as Record<string, unknown>;
    expect(Object.keys(after)).toEqual(['password', 'username', 'port']);
    expect({ ...after, password: null }).toEqual({ ...before, password: null });
    expect(after.password === before.password).toBe(false);
    expect(String(after.password)).toMatch(/^[A-Za-z0-9]{48}$/);
    // The fingerprint is the one a read of the stored version gives (here the whole secret: the reference names no field it has).
    expect(await provider.readCurrent(db)).toEqual({ versionId: '2', fingerprint: created.fingerprint });
  });

  it('refuses to write when the field to change is not there, and writes nothing', async () => {
    fake.putSecret('secret', 'prod/app/db', { pwd: randomBytes(12).toString('hex'), username: 'app' });
    const db = { secretName: 'prod/app/db', providerRef: 'secret/prod/app/db' };
    await expect(
      provider.createVersion(db, { expectedCurrentVersionId: '1', placement: { kind: 'field', field: 'password' } }),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('has no `password` field (its fields: pwd, username), so Rotor wrote nothing'),
    });
    // Without a placement the reference's field (`value`) must be there.
    await expect(provider.createVersion(db, { expectedCurrentVersionId: '1' })).rejects.toThrow(/has no `value` field/);
    expect(fake.version('secret', 'prod/app/db', 2)).toBeUndefined();
  });

  it('a write that landed but whose answer was lost is recognised as its own: one version, no conflict reported', async () => {
    fake.putSecret('secret', 'prod/payments/webhook', { value: 'a', note: 'kept' });
    const intents: unknown[] = [];
    fake.loseNextWriteAnswer();
    const created = await provider.createVersion(target, {
      expectedCurrentVersionId: '1',
      beforeWrite: (intent) => void intents.push(intent),
    });
    expect(created).toMatchObject({ versionId: '2', promotedOnCreate: true });
    // The write was sent again after the dropped connection, and its check-and-set refused: that is Rotor's own write, not someone else's.
    expect(fake.requests.filter((request) => request.method !== 'GET' && request.path.startsWith('/v1/secret/data/'))).toHaveLength(2);
    // The intent was told before the write: the version it makes and the fingerprint it will hold.
    expect(intents).toEqual([{ versionId: '2', fingerprint: created.fingerprint }]);
    expect(fake.version('secret', 'prod/payments/webhook', 2)?.data?.note).toBe('kept');
    expect(fake.version('secret', 'prod/payments/webhook', 3)).toBeUndefined();
    expect(await provider.readCurrent(target)).toEqual({ versionId: '2', fingerprint: created.fingerprint });
  });

  it('a lost answer followed by Vault going away is reported, the intent already told', async () => {
    fake.putSecret('secret', 'prod/payments/webhook', { value: 'a' });
    const intents: { versionId: string; fingerprint: string }[] = [];
    fake.loseNextWriteAnswer(() => fake.failNext(20, 503, ['Vault is sealed']));
    await expect(
      provider.createVersion(target, { expectedCurrentVersionId: '1', beforeWrite: (intent) => void intents.push(intent) }),
    ).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
    expect(intents).toEqual([{ versionId: '2', fingerprint: expect.stringMatching(/^sha256:/) }]);
    expect(fake.version('secret', 'prod/payments/webhook', 2)).toBeDefined();
  });

  it('a stale expected version is refused before writing', async () => {
    fake.putSecret('secret', 'prod/payments/webhook', { value: 'a' });
    fake.putSecret('secret', 'prod/payments/webhook', { value: 'b' });
    await expect(provider.createVersion(target, { expectedCurrentVersionId: '1' })).rejects.toThrow(
      /current version of prod\/payments\/webhook_hmac in Vault is 2, not 1/,
    );
    await expect(provider.promote(target, { newVersionId: '1', expectedCurrentVersionId: null })).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('a bad token: 403 permission denied becomes forbidden, naming the secret and VAULT_TOKEN', async () => {
    fake.putSecret('secret', 'prod/payments/webhook', { value: 'a' });
    const badToken = new VaultKv2Provider({ endpoint: fake.address, token: `wrong-${randomBytes(4).toString('hex')}`, retry: FAST });
    await expect(badToken.describe(target)).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/prod\/payments\/webhook_hmac.*permission denied.*VAULT_TOKEN/),
    });
  });

  it('a missing secret: 404 becomes not found, naming the secret and what to do', async () => {
    await expect(provider.describe(target)).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(
        /prod\/payments\/webhook_hmac points to secret\/prod\/payments\/webhook, which does not exist in Vault/,
      ),
    });
  });

  it('a KV v1 mount is refused with the upgrade command, before anything is written', async () => {
    const v1 = { secretName: 'prod/app/db', providerRef: 'legacy/prod/app/db' };
    await expect(provider.createVersion(v1, { expectedCurrentVersionId: null })).rejects.toThrow(
      /KV version 1.*vault kv enable-versioning legacy/,
    );
    expect(fake.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('a sealed Vault (503) is retried, then succeeds', async () => {
    fake.putSecret('secret', 'prod/payments/webhook', { value: 'a' });
    fake.failNext(2, 503, ['Vault is sealed']);
    await expect(provider.describe(target)).resolves.toMatchObject({ current: { versionId: '1' } });
  });

  it('a Vault that stays unavailable is reported after bounded attempts', async () => {
    fake.failNext(10, 503, ['Vault is sealed']);
    await expect(provider.describe(target)).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: expect.stringMatching(/Vault is unavailable \(503: Vault is sealed\)/),
    });
    expect(fake.requests).toHaveLength(3);
  });

  it('a Vault that does not answer times out', async () => {
    fake.hang = true;
    const slow = new VaultKv2Provider({
      endpoint: fake.address,
      token,
      retry: { attempts: 2, timeoutMs: 200, baseDelayMs: 1, maxDelayMs: 2 },
    });
    await expect(slow.describe(target)).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: expect.stringMatching(/prod\/payments\/webhook_hmac.*did not answer in time/),
    });
  });
});
