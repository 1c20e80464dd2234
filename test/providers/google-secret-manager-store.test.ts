import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FixedClock } from '../../src/core/clock.js';
import { OutcomeUnknownError } from '../../src/core/errors.js';
import type { RetryPolicy } from '../../src/providers/call-with-retry.js';
import { createFingerprinter } from '../../src/providers/fingerprint.js';
import { crc32c } from '../../src/providers/google-secret-manager/crc32c.js';
import {
  googleAccessTokenSourceFromEnv,
  type GoogleAccessTokenSource,
} from '../../src/providers/google-secret-manager/google-access-token.js';
import {
  GoogleSecretManagerStore,
  PENDING_ALIAS,
  PENDING_TOKEN_ANNOTATION,
  type GsmTarget,
} from '../../src/providers/google-secret-manager/google-secret-manager-store.js';
import type { WriteIntent } from '../../src/providers/secret-provider.js';
import { parseGsmSecretRef } from '../../src/providers/google-secret-manager/gsm-secret-ref.js';
import { FakeGoogleSecretManager } from '../fakes/google-secret-manager-server.js';
import { freePort } from '../support/moto.js';

const FAST: RetryPolicy = { attempts: 3, timeoutMs: 2_000, baseDelayMs: 1, maxDelayMs: 5 };
const fingerprintOf = (value: string) => createFingerprinter(null).of(value);
const generated = () => randomBytes(12).toString('hex');
const NAME = 'projects/acme-prod/secrets/db-credentials';

describe('parseGsmSecretRef', () => {
  it('accepts a global and a regional secret, by project id or number', () => {
    expect(parseGsmSecretRef('s', NAME)).toEqual({ project: 'acme-prod', location: null, secret: 'db-credentials' });
    expect(parseGsmSecretRef('s', 'projects/acme-prod/locations/europe-west4/secrets/db_2')).toEqual({
      project: 'acme-prod',
      location: 'europe-west4',
      secret: 'db_2',
    });
    expect(parseGsmSecretRef('s', 'projects/123456789012/secrets/db')).toEqual({ project: '123456789012', location: null, secret: 'db' });
  });

  it.each([
    [`${NAME}/versions/3`, `names a version; write the secret, ${NAME}`],
    ['db-credentials', 'is not a Secret Manager secret name'],
    ['projects/Acme/secrets/db', 'is not a Secret Manager secret name'],
    ['projects/acme-prod/secrets/db password', 'is not a Secret Manager secret name'],
    ['projects/acme-prod/locations/europe-west4/secrets/', 'is not a Secret Manager secret name'],
  ])('refuses %j naming the secret and the accepted forms', (ref, problem) => {
    expect(() => parseGsmSecretRef('prod/db', ref)).toThrow(problem);
    expect(() => parseGsmSecretRef('prod/db', ref)).toThrow(
      /The Google Secret Manager reference of prod\/db is malformed.*Use projects\/<project>\/secrets\/<secret>/,
    );
  });
});

describe('crc32c', () => {
  it('is the Castagnoli CRC of the standard check input', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('googleAccessTokenSourceFromEnv', () => {
  let metadata: Server;
  let host = '';
  let issued = 0;
  let lastFlavor: string | undefined;

  beforeAll(async () => {
    metadata = createServer((request, response) => {
      lastFlavor = request.headers['metadata-flavor'] as string | undefined;
      if (request.url !== '/computeMetadata/v1/instance/service-accounts/default/token' || lastFlavor !== 'Google')
        return void response.writeHead(404).end();
      issued += 1;
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: `token-${issued}`, expires_in: 3599, token_type: 'Bearer' }));
    });
    await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(metadata.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    metadata.closeAllConnections();
    await new Promise<void>((resolve) => metadata.close(() => resolve()));
  });

  it('uses GOOGLE_OAUTH_ACCESS_TOKEN when set', async () => {
    const token = generated();
    const source = googleAccessTokenSourceFromEnv(
      { GOOGLE_OAUTH_ACCESS_TOKEN: token, GCE_METADATA_HOST: host },
      new FixedClock(DateTime.utc()),
    );
    expect(await source.token()).toBe(token);
    expect(source.origin).toBe('GOOGLE_OAUTH_ACCESS_TOKEN');
  });

  it('otherwise asks the metadata server (with Metadata-Flavor: Google), keeps the token until a minute before it expires, and drops a refused one', async () => {
    const clock = new FixedClock(DateTime.utc());
    const source = googleAccessTokenSourceFromEnv({ GCE_METADATA_HOST: host }, clock);
    const first = await source.token();
    expect(lastFlavor).toBe('Google');
    expect(await source.token()).toBe(first);
    clock.set(clock.now().plus({ seconds: 3538 }));
    expect(await source.token()).toBe(first);
    clock.set(clock.now().plus({ seconds: 2 }));
    const second = await source.token();
    expect(second).not.toBe(first);
    source.invalidate();
    expect(await source.token()).not.toBe(second);
  });

  it('says what to set when there is no metadata server', async () => {
    const source = googleAccessTokenSourceFromEnv({ GCE_METADATA_HOST: `127.0.0.1:${await freePort()}` }, new FixedClock(DateTime.utc()));
    await expect(source.token()).rejects.toMatchObject({
      code: 'config',
      message: expect.stringContaining('set GOOGLE_OAUTH_ACCESS_TOKEN'),
    });
  });
});

describe('GoogleSecretManagerStore against the Secret Manager fake', () => {
  const token = generated();
  const fake = new FakeGoogleSecretManager({ token, projects: { 'acme-prod': '123456789012' } });
  const tokens: GoogleAccessTokenSource = { token: async () => token, invalidate: () => undefined, origin: 'test' };
  let store: GoogleSecretManagerStore;
  const aliased: GsmTarget = { secretName: 'prod/db', providerRef: NAME, versionAlias: 'current' };
  const password = { kind: 'field', field: 'password' } as const;
  const latest: GsmTarget = { ...aliased, versionAlias: null };

  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    store = new GoogleSecretManagerStore({ tokens, endpoint: fake.address, retry: FAST });
  });

  const payload = (version: number) => fake.version(NAME, version)?.data?.toString('utf8') as string;
  const connection = () => JSON.stringify({ engine: 'postgres', host: 'db.internal', username: 'app', password: generated() });

  function aliasedSecret(): void {
    fake.createSecret(NAME, { labels: { team: 'payments' } });
    fake.addVersion(NAME, connection());
    fake.setAlias(NAME, 'current', 1);
  }

  it('rotates through an alias: a parked version with the JSON shape kept, promoted, verified, rolled back, the old one disabled, and /revoke', async () => {
    aliasedSecret();
    await store.validateReference(aliased);
    expect((await store.describe(aliased)).current).toMatchObject({ versionId: '1', labels: ['enabled', 'alias:current', 'latest'] });

    expect(await store.describeShape(aliased)).toEqual({
      kind: 'fields',
      fields: ['engine', 'host', 'username', 'password'].map((name) => ({ name, holds: 'string' })),
    });
    const requestToken = randomUUID();
    const intents: unknown[] = [];
    const created = await store.createVersion(aliased, {
      expectedCurrentVersionId: '1',
      requestToken,
      placement: password,
      beforeWrite: (intent) => void intents.push(intent),
    });
    expect(created).toEqual({ versionId: '2', fingerprint: fingerprintOf(payload(2)), promotedOnCreate: false });
    expect(intents).toEqual([{ versionId: '2', fingerprint: created.fingerprint }]);
    const [before, after] = [JSON.parse(payload(1)) as Record<string, string>, JSON.parse(payload(2)) as Record<string, string>];
    expect({ ...after, password: 'x' }).toEqual({ ...before, password: 'x' });
    expect(after.password).not.toBe(before.password);
    expect(fake.secret(NAME).versionAliases).toEqual({ current: 1, [PENDING_ALIAS]: 2 });
    expect(fake.secret(NAME).annotations).toEqual({ [PENDING_TOKEN_ANNOTATION]: requestToken });
    // The REST shapes of service.proto: addVersion with base64 data and its CRC32C; UpdateSecret with a mask and the etag read.
    const add = fake.requests.find((request) => request.path.endsWith(':addVersion'));
    expect(add?.body).toEqual({
      payload: { data: Buffer.from(payload(2)).toString('base64'), dataCrc32c: String(crc32c(Buffer.from(payload(2)))) },
    });
    const patch = fake.requests.find((request) => request.method === 'PATCH');
    expect(patch?.path).toBe(`/v1/${NAME}?updateMask=version_aliases%2Cannotations`);
    expect(patch?.body).toMatchObject({ etag: expect.stringMatching(/^"[0-9a-f]+"$/) });

    // A retried create adopts its version; another rotation's pending version is refused by name.
    expect(await store.createVersion(aliased, { expectedCurrentVersionId: '1', requestToken, placement: password })).toEqual(created);
    await expect(
      store.createVersion(aliased, { expectedCurrentVersionId: '1', requestToken: randomUUID(), placement: password }),
    ).rejects.toThrow(`Version 2 of prod/db is waiting under the alias ${PENDING_ALIAS}`);
    expect(fake.secret(NAME).versions).toHaveLength(2);
    expect(await store.readCurrent(aliased)).toEqual({ versionId: '1', fingerprint: fingerprintOf(payload(1)) });

    await expect(store.promote(aliased, { newVersionId: '2', expectedCurrentVersionId: '2' })).rejects.toThrow(
      'is 1, not 2 as Rotor expected',
    );
    await store.promote(aliased, { newVersionId: '2', expectedCurrentVersionId: '1' });
    await store.promote(aliased, { newVersionId: '2', expectedCurrentVersionId: '1' });
    expect(fake.secret(NAME).versionAliases).toEqual({ current: 2 });
    expect(fake.secret(NAME).annotations).toEqual({});
    expect(await store.readCurrent(aliased, { compareWith: created.fingerprint })).toEqual({
      versionId: '2',
      fingerprint: created.fingerprint,
      sameValue: true,
    });
    expect(store.retrievalLine(aliased)).toBe('gcloud secrets versions access current --secret=db-credentials --project=acme-prod');

    expect(await store.restoreVersion(aliased, { versionId: '1', expectedCurrentVersionId: '2' })).toEqual({
      versionId: '1',
      fingerprint: fingerprintOf(payload(1)),
    });
    expect(fake.secret(NAME).versionAliases).toEqual({ current: 1 });
    await store.promote(aliased, { newVersionId: '2', expectedCurrentVersionId: '1' });

    await expect(store.deprecateVersion(aliased, '2')).rejects.toThrow('is still what consumers read (current)');
    await store.deprecateVersion(aliased, '1');
    await store.deprecateVersion(aliased, '1');
    expect(fake.version(NAME, 1)?.state).toBe('DISABLED');
    expect((await store.describe(aliased)).others).toEqual([{ versionId: '1', createdAt: expect.any(String), labels: ['disabled'] }]);

    // /revoke of the version in use: refused until a replacement exists, then the alias moves and the version is disabled.
    await expect(store.disableVersion(aliased, { versionId: '2' })).rejects.toThrow('create the replacement version first');
    const replacement = await store.createVersion(aliased, {
      expectedCurrentVersionId: '2',
      requestToken: randomUUID(),
      placement: password,
    });
    expect(await store.disableVersion(aliased, { versionId: '2', replacementVersionId: replacement.versionId })).toEqual({
      versionId: '2',
      action: 'disabled',
      aliasesLeft: [],
    });
    expect(fake.version(NAME, 2)?.state).toBe('DISABLED');
    expect(fake.secret(NAME).versionAliases).toMatchObject({ current: 3 });
    await store.promote(aliased, { newVersionId: '3', expectedCurrentVersionId: '2' });
    expect(fake.secret(NAME).versionAliases).toEqual({ current: 3 });
    expect(await store.disableVersion(aliased, { versionId: '1', destroy: true })).toEqual({
      versionId: '1',
      action: 'destroyed',
      aliasesLeft: [],
    });
    expect(fake.version(NAME, 1)).toMatchObject({ state: 'DESTROYED', data: null });
  });

  it('a create whose answer is lost is not sent again: the outcome is unknown, and the retry adopts the version it added, by the fingerprint noted before (one version, parked)', async () => {
    aliasedSecret();
    const requestToken = randomUUID();
    const intents: WriteIntent[] = [];
    fake.loseNextAnswer({ matching: /:addVersion$/, method: 'POST' });
    const lost = store.createVersion(aliased, {
      expectedCurrentVersionId: '1',
      requestToken,
      placement: password,
      beforeWrite: (intent) => void intents.push(intent),
    });
    await expect(lost).rejects.toBeInstanceOf(OutcomeUnknownError);
    await expect(lost).rejects.toThrow('whether Google added the version is unknown');
    expect(fake.requests.filter((request) => request.path.endsWith(':addVersion'))).toHaveLength(1);
    expect(fake.secret(NAME).versionAliases).toEqual({ current: 1 });
    const [intent] = intents as [WriteIntent];
    expect(intent).toEqual({ versionId: '2', fingerprint: fingerprintOf(payload(2)) });
    // Someone adds a version after Rotor's: it is not Rotor's, and Rotor's is still recognised.
    fake.addVersion(NAME, generated());

    expect(await store.findWrite(aliased, { requestToken, intent })).toEqual({
      kind: 'found',
      versionId: '2',
      fingerprint: intent.fingerprint,
    });
    expect(await store.findWrite(aliased, { requestToken, intent: null })).toEqual({ kind: 'none' });
    const retried = await store.createVersion(aliased, {
      expectedCurrentVersionId: '1',
      requestToken,
      placement: password,
      earlierIntent: intent,
    });
    expect(retried).toEqual({ versionId: '2', fingerprint: intent.fingerprint, promotedOnCreate: false });
    expect(fake.secret(NAME).versions).toHaveLength(3);
    expect(fake.secret(NAME).versionAliases).toEqual({ current: 1, [PENDING_ALIAS]: 2 });
    expect(fake.secret(NAME).annotations).toEqual({ [PENDING_TOKEN_ANNOTATION]: requestToken });
    expect(await store.findWrite(aliased, { requestToken, intent: null })).toEqual({
      kind: 'found',
      versionId: '2',
      fingerprint: intent.fingerprint,
    });
  });

  it('a version someone else added after Rotor began writing is never taken: the retry is refused by name and adds nothing', async () => {
    aliasedSecret();
    const requestToken = randomUUID();
    const intents: WriteIntent[] = [];
    // The run noted its write, then died before sending it.
    await expect(
      store.createVersion(aliased, {
        expectedCurrentVersionId: '1',
        requestToken,
        placement: password,
        beforeWrite: (intent) => {
          intents.push(intent);
          throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const [intent] = intents as [WriteIntent];
    expect(await store.findWrite(aliased, { requestToken, intent })).toEqual({ kind: 'none' });
    fake.addVersion(NAME, connection());
    const { etag } = fake.secret(NAME);

    expect(await store.findWrite(aliased, { requestToken, intent })).toEqual({ kind: 'foreign', versionIds: ['2'] });
    await expect(
      store.createVersion(aliased, { expectedCurrentVersionId: '1', requestToken, placement: password, earlierIntent: intent }),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(
        'Version 2 was added to prod/db in Google Secret Manager after Rotor began adding its new version (it expected version 2), and none holds the value Rotor generated',
      ),
    });
    expect(fake.secret(NAME).versions).toHaveLength(2);
    expect(fake.secret(NAME)).toMatchObject({ versionAliases: { current: 1 }, annotations: {}, etag });
    // Nor a version of Rotor's value that was disabled since: it cannot be read, so it is not taken.
    fake.reset();
    aliasedSecret();
    fake.loseNextAnswer({ matching: /:addVersion$/, method: 'POST' });
    const again: WriteIntent[] = [];
    await expect(
      store.createVersion(aliased, {
        expectedCurrentVersionId: '1',
        requestToken,
        placement: password,
        beforeWrite: (i) => void again.push(i),
      }),
    ).rejects.toBeInstanceOf(OutcomeUnknownError);
    await store.deprecateVersion(aliased, '2');
    expect(await store.findWrite(aliased, { requestToken, intent: again[0] as WriteIntent })).toEqual({
      kind: 'foreign',
      versionIds: ['2'],
    });
  });

  it('a park whose answer is lost: the retried UpdateSecret meets its own etag change, and the version parked is taken as parked', async () => {
    aliasedSecret();
    const requestToken = randomUUID();
    fake.loseNextAnswer({ matching: /\/secrets\/db-credentials$/, method: 'PATCH' });
    expect(await store.createVersion(aliased, { expectedCurrentVersionId: '1', requestToken, placement: password })).toMatchObject({
      versionId: '2',
    });
    expect(fake.requests.filter((request) => request.method === 'PATCH')).toHaveLength(2);
    expect(fake.secret(NAME).versions).toHaveLength(2);
    expect(fake.secret(NAME).versionAliases).toEqual({ current: 1, [PENDING_ALIAS]: 2 });
  });

  it('with latest: a new version is current at once, a rollback adds the old payload again, and the latest cannot be disabled', async () => {
    fake.createSecret(NAME);
    fake.addVersion(NAME, generated());
    const created = await store.createVersion(latest, { expectedCurrentVersionId: '1' });
    expect(created).toEqual({ versionId: '2', fingerprint: fingerprintOf(payload(2)), promotedOnCreate: true });
    await store.promote(latest, { newVersionId: '2', expectedCurrentVersionId: '1' });
    expect(await store.readCurrent(latest)).toEqual({ versionId: '2', fingerprint: created.fingerprint });
    expect(store.retrievalLine(latest)).toBe('gcloud secrets versions access latest --secret=db-credentials --project=acme-prod');

    await expect(store.disableVersion(latest, { versionId: '2' })).rejects.toThrow('is the latest, which consumers read');
    const restored = await store.restoreVersion(latest, { versionId: '1', expectedCurrentVersionId: '2' });
    expect(restored).toEqual({ versionId: '3', fingerprint: fingerprintOf(payload(1)) });
    expect(payload(3)).toBe(payload(1));
    await store.deprecateVersion(latest, '2');
    expect(fake.version(NAME, 2)?.state).toBe('DISABLED');
  });

  it('keeps the shape of the current value: a plain string is replaced whole, a JSON object only in the field placed, and a JSON object without a placement is refused, writing nothing', async () => {
    aliasedSecret();
    await expect(store.createVersion(aliased, { expectedCurrentVersionId: '1' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('holds a JSON object, not a plain string'),
    });
    await expect(
      store.createVersion(aliased, { expectedCurrentVersionId: '1', placement: { kind: 'field', field: 'token' } }),
    ).rejects.toThrow('has no `token` field (its fields: engine, host, username, password)');
    expect(fake.secret(NAME).versions).toHaveLength(1);
    await store.createVersion(aliased, { expectedCurrentVersionId: '1', placement: { kind: 'whole' } });
    expect(payload(2)).toMatch(/^[A-Za-z0-9]{48}$/);
  });

  it('picks up versions added and aliases moved outside Rotor (sync), and refuses to build on a current version that moved', async () => {
    aliasedSecret();
    fake.addVersion(NAME, connection());
    const described = await store.describe(aliased);
    expect(described.current).toMatchObject({ versionId: '1', labels: ['enabled', 'alias:current'] });
    expect(described.others).toEqual([{ versionId: '2', createdAt: expect.any(String), labels: ['enabled', 'latest'] }]);
    expect(described.lastChangedAt).toBe(fake.version(NAME, 2)?.createTime);
    fake.setAlias(NAME, 'current', 2);
    expect(await store.readCurrent(aliased)).toEqual({ versionId: '2', fingerprint: fingerprintOf(payload(2)) });
    await expect(store.createVersion(aliased, { expectedCurrentVersionId: '1' })).rejects.toThrow(
      'is 2, not 1 as Rotor expected: someone changed it meanwhile',
    );
    await expect(store.createVersion(latest, { expectedCurrentVersionId: '1' })).rejects.toThrow('is 2, not 1');
    expect(fake.secret(NAME).versions).toHaveLength(2);
  });

  it('refuses a stale etag: a concurrent change to the aliases or to a version wins and Rotor changes nothing', async () => {
    aliasedSecret();
    const created = await store.createVersion(aliased, { expectedCurrentVersionId: '1', placement: password });
    fake.beforeNextChange = () => fake.touch(NAME);
    await expect(store.promote(aliased, { newVersionId: created.versionId, expectedCurrentVersionId: '1' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('does not match the current etag'),
    });
    expect(fake.secret(NAME).versionAliases).toMatchObject({ current: 1 });
    await store.promote(aliased, { newVersionId: created.versionId, expectedCurrentVersionId: '1' });
    fake.beforeNextChange = () => fake.touchVersion(NAME, 1);
    await expect(store.deprecateVersion(aliased, '1')).rejects.toMatchObject({ code: 'conflict' });
    expect(fake.version(NAME, 1)?.state).toBe('ENABLED');
  });

  it('answers bad input clearly and sends nothing: a malformed reference, a reserved alias, an alias that does not exist', async () => {
    aliasedSecret();
    const sent = fake.requests.length;
    await expect(
      store.createVersion({ ...aliased, providerRef: `${NAME}/versions/1` }, { expectedCurrentVersionId: '1' }),
    ).rejects.toMatchObject({ code: 'validation' });
    await expect(store.describe({ ...aliased, versionAlias: 'latest' })).rejects.toThrow('is not a usable version alias');
    expect(fake.requests.length).toBe(sent);
    await expect(store.validateReference({ ...aliased, versionAlias: 'live' })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('gcloud secrets update db-credentials --project=acme-prod --update-version-aliases=live=<version>'),
    });
    await expect(store.describe({ ...aliased, providerRef: 'projects/acme-prod/secrets/missing' })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('prod/db (projects/acme-prod/secrets/missing)'),
    });
    expect(fake.secret(NAME).versions).toHaveLength(1);
  });

  it('discovers the secrets of a project that carry a label, with the reference written by project id', async () => {
    fake.createSecret('projects/acme-prod/secrets/a', { labels: { 'rotor-owner': 'u0123' } });
    fake.createSecret('projects/acme-prod/secrets/b');
    fake.createSecret('projects/acme-prod/locations/europe-west4/secrets/c', { labels: { 'rotor-owner': 'u0456' } });
    expect(await store.listForDiscovery({ project: 'acme-prod', labelKey: 'rotor-owner' })).toEqual([
      {
        providerRef: 'projects/acme-prod/secrets/a',
        storeName: 'a',
        tags: { 'rotor-owner': 'u0123' },
        lastRotatedAt: null,
        lastChangedAt: null,
      },
    ]);
    expect((await store.listForDiscovery({ project: 'acme-prod', location: 'europe-west4' })).map((found) => found.providerRef)).toEqual([
      'projects/acme-prod/locations/europe-west4/secrets/c',
    ]);
    expect(fake.requests.at(0)?.path).toBe('/v1/projects/acme-prod/secrets?filter=labels.rotor-owner%3A*&pageSize=250');
    await expect(store.listForDiscovery({ project: 'acme-prod', labelKey: 'Rotor Owner' })).rejects.toThrow('is not a Google label key');
  });

  it('rotates a regional secret through its location and says so in the retrieval line', async () => {
    const regional = 'projects/acme-prod/locations/europe-west4/secrets/db';
    fake.createSecret(regional);
    fake.addVersion(regional, generated());
    const target: GsmTarget = { secretName: 'prod/db', providerRef: regional, versionAlias: null };
    expect(await store.createVersion(target, { expectedCurrentVersionId: '1' })).toMatchObject({ versionId: '2', promotedOnCreate: true });
    expect(store.retrievalLine(target)).toBe(
      'gcloud secrets versions access latest --secret=db --project=acme-prod --location=europe-west4',
    );
  });

  it('merges labels with the etag read, and refuses labels Google would not take', async () => {
    aliasedSecret();
    const version = DateTime.utc().toFormat('yyyyLLdd');
    await store.labelSecret(aliased, { version, rotated_by: 'u0123abcd' });
    expect(fake.secret(NAME).labels).toEqual({ team: 'payments', version, rotated_by: 'u0123abcd' });
    const patches = fake.requests.filter((request) => request.method === 'PATCH');
    expect(patches.map((request) => request.path)).toEqual([`/v1/${NAME}?updateMask=labels`]);
    await store.labelSecret(aliased, { version });
    expect(fake.requests.filter((request) => request.method === 'PATCH')).toHaveLength(1);
    await expect(store.labelSecret(aliased, { rotated_by: 'Ada Lovelace' })).rejects.toThrow('Google labels take lowercase letters');
  });

  it('retries an unavailable service, fetches a new token once when Google refuses one, and names an unreachable endpoint', async () => {
    aliasedSecret();
    fake.failNext(2, 503, 'UNAVAILABLE');
    expect(await store.readCurrent(aliased)).toMatchObject({ versionId: '1' });

    let handedOut = 0;
    const rotating: GoogleAccessTokenSource = {
      token: async () => (handedOut++ === 0 ? 'expired' : token),
      invalidate: () => undefined,
      origin: 'test',
    };
    const refreshed = new GoogleSecretManagerStore({ tokens: rotating, endpoint: fake.address, retry: FAST });
    expect(await refreshed.readCurrent(aliased)).toMatchObject({ versionId: '1' });
    expect(handedOut).toBe(2);

    const refused = new GoogleSecretManagerStore({
      tokens: { ...tokens, token: async () => 'wrong' },
      endpoint: fake.address,
      retry: FAST,
    });
    await expect(refused.readCurrent(aliased)).rejects.toMatchObject({
      code: 'config',
      message: expect.stringContaining("Google refused Rotor's access token"),
    });

    const offline = new GoogleSecretManagerStore({ tokens, endpoint: `http://127.0.0.1:${await freePort()}`, retry: FAST });
    await expect(offline.readCurrent(aliased)).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });
});
