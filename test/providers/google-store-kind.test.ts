import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import { systemClock } from '../../src/core/clock.js';
import { ValidationError } from '../../src/core/errors.js';
import { createFingerprinter } from '../../src/providers/fingerprint.js';
import { googleAccessTokenSourceFromEnv } from '../../src/providers/google-secret-manager/google-access-token.js';
import { GoogleSecretManagerProvider } from '../../src/providers/google-secret-manager/google-secret-manager-provider.js';
import { PENDING_ALIAS } from '../../src/providers/google-secret-manager/google-secret-manager-store.js';
import { googleSecretManagerStore } from '../../src/providers/google-secret-manager/google-store.js';
import { BUILT_IN_STORES, storeCatalogFor } from '../../src/providers/store-catalog.js';
import { FakeGoogleSecretManager } from '../fakes/google-secret-manager-server.js';

/**
 * The Google store kind behind the port, as the catalog offers it: capabilities by read path,
 * references, by-hand commands and store findings, and every port call against the local fake
 * of the v1 REST API.
 */

const PROJECT = 'acme-prod';
const REF = `projects/${PROJECT}/secrets/app-db`;
const REGIONAL = `projects/${PROJECT}/locations/europe-west1/secrets/app-db`;
const token = `ya29.${randomBytes(12).toString('hex')}`;
const fake = new FakeGoogleSecretManager({ token, projects: { [PROJECT]: '271828182845' } });
const target = { secretName: 'prod/app/db', providerRef: REF };
const FAST = { attempts: 2, timeoutMs: 2_000, baseDelayMs: 1, maxDelayMs: 2 };
const value = () => randomBytes(16).toString('hex');

beforeAll(async () => {
  await fake.start();
});
afterAll(async () => fake.stop());
beforeEach(() => {
  fake.reset();
  fake.createSecret(REF, { labels: { team: 'payments' } });
  fake.addVersion(REF, value());
  fake.setAlias(REF, 'current', 1);
});

function connected(alias: string | null): GoogleSecretManagerProvider {
  const provider = googleSecretManagerStore(alias).connect({
    env: { GOOGLE_OAUTH_ACCESS_TOKEN: token, GOOGLE_SECRET_MANAGER_ENDPOINT: fake.address },
    fingerprinter: createFingerprinter(null),
    retry: FAST,
  });
  expect(provider).toBeInstanceOf(GoogleSecretManagerProvider);
  return provider as GoogleSecretManagerProvider;
}

describe('the catalog and the policy', () => {
  it('the built-in catalog offers `google`; the policy alias decides staged versions or promote-on-create', () => {
    expect(BUILT_IN_STORES.kinds.map((kind) => kind.kind)).toEqual(['aws', 'vault', 'kms', 'google', 'manual']);
    expect(storeCatalogFor({ googleVersionAlias: 'current' }).of('google').capabilities).toMatchObject({
      stagedVersions: true,
      promotesOnCreate: false,
      restoreByRewrite: false,
      destroy: true,
      disableNeedsReplacement: true,
      values: 'readable',
      discovery: { requiresMount: null },
    });
    expect(BUILT_IN_STORES.of('google').capabilities).toMatchObject({
      stagedVersions: false,
      promotesOnCreate: true,
      restoreByRewrite: true,
    });
  });

  it('google_secret_manager.version_alias: an alias is kept, none reads latest, a malformed or reserved one is refused', () => {
    expect(parsePolicy('google_secret_manager:\n  version_alias: current\n').googleSecretManager).toEqual({ versionAlias: 'current' });
    expect(parsePolicy('environments: [prod]\n').googleSecretManager).toEqual({ versionAlias: null });
    expect(policyIssues('google_secret_manager:\n  version_alias: latest\n')).toContain('must not be latest or new');
    expect(policyIssues('google_secret_manager:\n  version_alias: "9lives"\n')).toContain('must be a Secret Manager version alias');
    expect(policyIssues('google_secret_manager:\n  alias: current\n')).toContain('alias');
  });
});

describe('references, commands and findings of the Google store kind', () => {
  const store = googleSecretManagerStore('current');

  it('keys compare a global and a regional secret apart; the placeholders and lines name project, secret and location', () => {
    expect(store.references.keyOf(REF)).toEqual({ provider: 'google', scope: `projects/${PROJECT}`, name: 'app-db' });
    const regional = store.references.keyOf(REGIONAL);
    expect(store.references.sameSecret(store.references.keyOf(REF) as never, regional as never)).toBe(false);
    expect(store.references.describeKey(regional as never)).toBe(
      `the Google secret projects/${PROJECT}/locations/europe-west1/secrets/app-db`,
    );
    expect(store.references.placeholderValues('s', REGIONAL, null)).toEqual({
      gsm_project: PROJECT,
      gsm_secret: 'app-db',
      gsm_location_flag: ' --location=europe-west1',
      gsm_alias: 'current',
    });
    expect(store.commands.retrieve('s', REF)).toBe('gcloud secrets versions access current --secret=app-db --project=acme-prod');
    expect(googleSecretManagerStore(null).commands.retrieve('s', REGIONAL)).toBe(
      'gcloud secrets versions access latest --secret=app-db --project=acme-prod --location=europe-west1',
    );
    expect(store.commands.disableVersion('s', REF, '3', { live: true, destroy: false })).toEqual([
      'gcloud secrets versions disable 3 --secret=app-db --project=acme-prod',
    ]);
    expect(store.commands.rollBackTo(REF, '2')).toBe('gcloud secrets update app-db --project=acme-prod --update-version-aliases=current=2');
    expect(() => store.references.validate('prod/app/db', 'projects/acme-prod/app-db')).toThrow(ValidationError);
  });

  it('a version left under rotor-pending blocks the preflight with the command that removes the alias', () => {
    const findings = store.preflight(
      {
        current: { versionId: '1', createdAt: null, labels: ['enabled', 'alias:current'] },
        others: [{ versionId: '2', createdAt: null, labels: ['enabled', `alias:${PENDING_ALIAS}`, 'latest'] }],
        lastRotatedAt: null,
        lastChangedAt: null,
        tags: {},
        rotationConfigured: false,
        limits: { maxVersions: null, deleteVersionAfterSeconds: null },
      },
      { secretName: 'prod/app/db', ref: REF, retentionHours: 48 },
    );
    expect(findings).toEqual([
      expect.objectContaining({
        check: 'pending',
        status: 'blocking',
        message: expect.stringContaining('gcloud secrets update app-db --project=acme-prod --remove-version-aliases=rotor-pending'),
      }),
    ]);
    expect(store.stillServes({ versionId: '1', createdAt: null, labels: ['disabled'] }, false)).toBeNull();
    expect(store.compromisedStillLive('1', { versionId: '1', createdAt: null, labels: ['enabled', 'alias:current'] })).toBe(
      'version 1 is still enabled in Google Secret Manager (the alias current names it)',
    );
  });
});

describe('the port against the fake', () => {
  it('with an alias: create parks the version, promote moves the alias, read compares, restore moves it back, an abandoned version is unparked and disabled', async () => {
    const provider = connected('current');
    const created = await provider.createVersion(target, { expectedCurrentVersionId: '1', requestToken: 'tok-1' });
    expect(created).toMatchObject({ versionId: '2', promotedOnCreate: false });
    expect(fake.secret(REF).versionAliases).toEqual({ current: 1, [PENDING_ALIAS]: 2 });
    // The same token again (a retried step) adopts the parked version.
    expect(await provider.createVersion(target, { expectedCurrentVersionId: '1', requestToken: 'tok-1' })).toMatchObject({
      versionId: '2',
    });
    await provider.promote(target, { newVersionId: '2', expectedCurrentVersionId: '1' });
    expect(fake.secret(REF).versionAliases).toEqual({ current: 2 });
    expect(await provider.readCurrent(target, { compareWith: created.fingerprint })).toMatchObject({ versionId: '2', sameValue: true });
    expect(await provider.restoreVersion(target, { versionId: '1', expectedCurrentVersionId: '2' })).toMatchObject({ versionId: '1' });
    expect(fake.secret(REF).versionAliases).toEqual({ current: 1 });

    const abandoned = await provider.createVersion(target, { expectedCurrentVersionId: '1', requestToken: 'tok-2' });
    await provider.deprecateVersion(target, abandoned.versionId);
    expect(fake.secret(REF).versionAliases).toEqual({ current: 1 });
    expect(fake.version(REF, Number(abandoned.versionId))?.state).toBe('DISABLED');
  });

  it('/revoke: the alias moves to the replacement, then the compromised version is disabled, or destroyed when asked', async () => {
    const provider = connected('current');
    fake.addVersion(REF, value());
    expect(await provider.disableVersion(target, { versionId: '1', replacementVersionId: '2' })).toEqual({
      versionId: '1',
      action: 'disabled',
    });
    expect(fake.secret(REF).versionAliases).toEqual({ current: 2 });
    expect(fake.version(REF, 1)?.state).toBe('DISABLED');
    expect(await provider.disableVersion(target, { versionId: '1', destroy: true })).toEqual({ versionId: '1', action: 'destroyed' });
    expect(fake.version(REF, 1)).toMatchObject({ state: 'DESTROYED', data: null });
  });

  it('with latest: a version is current once added, a rollback adds the earlier payload again', async () => {
    const provider = connected(null);
    const created = await provider.createVersion(target, { expectedCurrentVersionId: '1' });
    expect(created).toMatchObject({ versionId: '2', promotedOnCreate: true });
    await provider.promote(target, { newVersionId: '2', expectedCurrentVersionId: '1' });
    const restored = await provider.restoreVersion(target, { versionId: '1', expectedCurrentVersionId: '2' });
    expect(restored.versionId).toBe('3');
    expect(fake.version(REF, 3)?.data?.equals(fake.version(REF, 1)?.data as Buffer)).toBe(true);
  });

  it('discovery needs the project; provenance becomes labels Google accepts, the others kept', async () => {
    const provider = connected('current');
    await expect(provider.listForDiscovery({ tagKey: 'team' })).rejects.toThrow(/needs the project to list: add --project/);
    expect((await provider.listForDiscovery({ project: PROJECT, tagKey: 'team' })).map((found) => found.providerRef)).toEqual([REF]);
    const stamp = systemClock.now().toUTC().toFormat('yyyyLLdd');
    await provider.writeProvenance(target, { version: stamp, rotated_by: 'Ada Lovelace' });
    expect(fake.secret(REF).labels).toEqual({ team: 'payments', version: stamp, rotated_by: 'ada_lovelace' });
  });

  it('a token Google does not accept is a configuration error naming the variable', async () => {
    const provider = new GoogleSecretManagerProvider(
      {
        tokens: googleAccessTokenSourceFromEnv({ GOOGLE_OAUTH_ACCESS_TOKEN: `ya29.${randomBytes(6).toString('hex')}` }, systemClock),
        endpoint: fake.address,
        retry: FAST,
      },
      'current',
    );
    await expect(provider.validateReference(target)).rejects.toThrow(/Set GOOGLE_OAUTH_ACCESS_TOKEN to a fresh token/);
  });
});

/** What a refused policy says, issue by issue. */
function policyIssues(text: string): string {
  try {
    parsePolicy(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return JSON.stringify((error as ValidationError).issues);
  }
  throw new Error('the policy was accepted');
}

describe('the fake refuses what Google refuses', () => {
  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${fake.address}/v1/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { error?: { status: string; message: string } } };
  };

  it('a field the request message does not have, and labels or annotations Google would not store: 400, nothing changed', async () => {
    const snapshot = () => JSON.stringify(fake.secret(REF));
    const before = snapshot();
    const { etag } = fake.secret(REF);
    for (const [method, path, body] of [
      ['PATCH', `${REF}?updateMask=labels`, { labels: { team: 'ops' }, etag, colour: 'red' }],
      ['PATCH', `${REF}?updateMask=labels`, { labels: { Team: 'ops' }, etag }],
      ['PATCH', `${REF}?updateMask=labels`, { labels: { team: 'Ops Team' }, etag }],
      ['PATCH', `${REF}?updateMask=annotations`, { annotations: { 'bad key': 'x' }, etag }],
      ['POST', `${REF}:addVersion`, { payload: { data: Buffer.from(value()).toString('base64'), crc: '1' } }],
      ['POST', `${REF}/versions/1:disable`, { etag: fake.version(REF, 1)?.etag, force: true }],
    ] as const) {
      const answer = await call(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(400);
      expect(answer.body.error?.status).toBe('INVALID_ARGUMENT');
    }
    expect(snapshot()).toBe(before);
  });
});
