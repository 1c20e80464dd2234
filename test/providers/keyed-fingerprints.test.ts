import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCoreEnv } from '../../src/config/env.js';
import { migrationsDir } from '../../src/core/project-root.js';
import { HmacKeyring, keyIdOf } from '../../src/core/hmac-keyring.js';
import { createFingerprinter } from '../../src/providers/fingerprint.js';
import { createProviderServicesFromEnv } from '../../src/providers/provider-factory.js';
import { applyMigrations } from '../../src/storage/migrate.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { useFakeVault } from '../support/vault.js';
import { runRotor } from '../support/cli.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

const FAST = { attempts: 2, timeoutMs: 2_000, baseDelayMs: 1, maxDelayMs: 2 };
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const hmac = (key: string, value: string) => createHmac('sha256', key).update(value).digest('hex');

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('fingerprints keyed with ROTOR_FINGERPRINT_KEY', () => {
  const { fake, token } = useFakeVault();
  let store: TempStore;
  const key = randomBytes(32).toString('hex');
  const env = () => ({ VAULT_ADDR: fake.address, VAULT_TOKEN: token, ROTOR_FINGERPRINT_KEY: key });

  beforeEach(() => {
    store = openTempStore({ at: '2026-01-10T09:00:00Z' });
  });
  afterEach(() => store.close());

  const track = (name: string, path: string) =>
    store.inventoryService.create(
      { name, type: 'database', owner: 'U0OWNER', provider: 'vault', providerRef: `secret/${path}`, lastRotated: '2026-01-01' },
      operator('U0ADMIN'),
      'test',
    );
  const fingerprintEvents = (name: string) =>
    (
      store.db
        .prepare("SELECT details FROM audit_events WHERE secret = ? AND details LIKE '%fingerprint%' ORDER BY seq")
        .pluck()
        .all(name) as string[]
    ).map((text) => JSON.parse(text) as Record<string, unknown>);

  it('stores and audits the HMAC of the value, never its plain SHA-256, with the key id in front', async () => {
    const value = randomBytes(12).toString('base64url');
    fake.putSecret('secret', 'prod/app/db', { value });
    track('prod/app/db', 'prod/app/db');
    expect((await runRotor(['--db', store.path, 'sync', '--provider', 'vault'], env())).code).toBe(0);
    const expected = `hmac-sha256:${keyIdOf(key)}:${hmac(key, value)}`;
    expect(store.inventory.get('prod/app/db')?.currentFingerprint).toBe(expected);
    expect(fingerprintEvents('prod/app/db').map((details) => details.fingerprint)).toEqual([expected]);
    const show = await runRotor(['--db', store.path, 'show', 'prod/app/db', '--json']);
    expect(show.stdout).toContain(expected);
    const everything =
      JSON.stringify(store.db.prepare('SELECT * FROM secrets').all()) +
      JSON.stringify(store.db.prepare('SELECT * FROM audit_events').all()) +
      show.stdout;
    expect(everything).not.toContain(sha256(value));
  });

  it.runIf(hasOpenssl())('can be checked by hand with openssl, as the README says', async () => {
    const value = randomBytes(12).toString('base64url');
    fake.putSecret('secret', 'prod/app/db', { value });
    track('prod/app/db', 'prod/app/db');
    await runRotor(['--db', store.path, 'sync', '--provider', 'vault'], env());
    const byHand = execFileSync('openssl', ['dgst', '-sha256', '-hmac', key], { input: value }).toString();
    expect(store.inventory.get('prod/app/db')?.currentFingerprint).toBe(`hmac-sha256:${keyIdOf(key)}:${byHand.trim().split(/\s+/).pop()}`);
  });

  it('replaces a legacy plain fingerprint by the keyed one once a read shows the same value, and audits it', async () => {
    const value = randomBytes(12).toString('base64url');
    fake.putSecret('secret', 'prod/app/db', { value });
    track('prod/app/db', 'prod/app/db');
    store.inventoryService.recordVersion('prod/app/db', { versionId: '1', fingerprint: `sha256:${sha256(value)}` }, operator('U0ADMIN'));
    const dry = await runRotor(['--db', store.path, 'sync', '--provider', 'vault', '--dry-run'], env());
    expect(dry.stdout).toContain('re-fingerprints version 1 with ROTOR_FINGERPRINT_KEY');
    expect(store.inventory.get('prod/app/db')?.currentFingerprint).toBe(`sha256:${sha256(value)}`);
    expect((await runRotor(['--db', store.path, 'sync', '--provider', 'vault'], env())).code).toBe(0);
    expect(store.inventory.get('prod/app/db')).toMatchObject({
      currentVersionId: '1',
      currentFingerprint: `hmac-sha256:${keyIdOf(key)}:${hmac(key, value)}`,
    });
    const action = store.db
      .prepare("SELECT action, details FROM audit_events WHERE secret = 'prod/app/db' ORDER BY seq DESC LIMIT 1")
      .get() as { action: string; details: string };
    expect(action.action).toBe('secret.fingerprint_rekeyed');
    expect(JSON.parse(action.details)).toMatchObject({ previousScheme: 'sha256', versionId: '1' });
    const again = await runRotor(['--db', store.path, 'sync', '--provider', 'vault'], env());
    expect(again.stdout).not.toContain('re-fingerprints');
  });

  it('reports a stored fingerprint that no longer matches its version as drift, and keeps it', async () => {
    fake.putSecret('secret', 'prod/app/db', { value: randomBytes(12).toString('hex') });
    track('prod/app/db', 'prod/app/db');
    const stale = `sha256:${sha256('something else')}`;
    store.inventoryService.recordVersion('prod/app/db', { versionId: '1', fingerprint: stale }, operator('U0ADMIN'));
    const result = await runRotor(['--db', store.path, 'sync', '--provider', 'vault'], env());
    expect(result.stdout).toContain('version 1 does not hold the value Rotor fingerprinted for it');
    expect(store.inventory.get('prod/app/db')?.currentFingerprint).toBe(stale);
  });

  it('verifies a version created under a retired key (listed after the new one) and records it with the new key', async () => {
    const oldKey = randomBytes(32).toString('hex');
    fake.putSecret('secret', 'prod/app/db', { value: 'first' });
    track('prod/app/db', 'prod/app/db');
    const before = new VaultKv2Provider({
      endpoint: fake.address,
      token,
      retry: FAST,
      fingerprinter: createFingerprinter(HmacKeyring.fromEnv(oldKey)),
    });
    const target = { secretName: 'prod/app/db', providerRef: 'secret/prod/app/db' };
    const created = await before.createVersion(target, { expectedCurrentVersionId: '1' });
    expect(created.fingerprint).toMatch(new RegExp(`^hmac-sha256:${keyIdOf(oldKey)}:`));
    const rotated = createProviderServicesFromEnv(store, loadCoreEnv({ ...env(), ROTOR_FINGERPRINT_KEY: `${key},${oldKey}` }));
    try {
      const verified = await rotated.operations.verify(
        store.inventoryService.require('prod/app/db'),
        { versionId: created.versionId, fingerprint: created.fingerprint },
        operator('U0OWNER'),
      );
      expect(verified.fingerprint).toMatch(new RegExp(`^hmac-sha256:${keyIdOf(key)}:`));
      await expect(
        rotated.operations.verify(
          store.inventoryService.require('prod/app/db'),
          { versionId: created.versionId, fingerprint: `sha256:${sha256('not it')}` },
          operator('U0OWNER'),
        ),
      ).rejects.toThrow(/fingerprints differ/);
    } finally {
      rotated.close();
    }
  });

  it('without a key, fingerprints are the plain SHA-256 with a visible scheme', async () => {
    const value = randomBytes(12).toString('base64url');
    fake.putSecret('secret', 'prod/app/db', { value });
    track('prod/app/db', 'prod/app/db');
    await runRotor(['--db', store.path, 'sync', '--provider', 'vault'], { VAULT_ADDR: fake.address, VAULT_TOKEN: token });
    expect(store.inventory.get('prod/app/db')?.currentFingerprint).toBe(`sha256:${sha256(value)}`);
  });
});

describe('migration 0004 and the fingerprints earlier releases stored', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  it('marks a bare SHA-256 as the legacy plain scheme and leaves audit details as written', () => {
    const old = join(store.dir, 'old-migrations');
    mkdirSync(old);
    for (const file of ['0001_inventory_and_audit.sql', '0002_reminders.sql']) copyFileSync(join(migrationsDir, file), join(old, file));
    const path = join(store.dir, 'old.db');
    const db = new Database(path);
    applyMigrations(db, old);
    const bare = sha256('Summer2024!');
    db.prepare(
      "INSERT INTO secrets (name, environment, service, credential_type, type, provider, interval_days, next_rotation, current_fingerprint, created_at, updated_at) VALUES ('prod/a/key', 'prod', 'a', 'key', 'generic', 'manual', 90, '2026-01-01', ?, '2026-01-01', '2026-01-01')",
    ).run(bare);
    applyMigrations(db);
    expect(db.prepare('SELECT current_fingerprint FROM secrets').pluck().get()).toBe(`sha256:${bare}`);
    db.close();
  });
});
