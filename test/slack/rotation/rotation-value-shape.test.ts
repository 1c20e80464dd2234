import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { ModalView } from '@slack/types';
import type { ViewStateValue } from '@slack/bolt';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import { VaultKv2Provider } from '../../../src/providers/vault/vault-kv2-provider.js';
import { ACTION_IDS, CALLBACK_IDS, FORM_VALUE_ACTION, ROTATION_BLOCKS, SECRET_FORM_BLOCKS } from '../../../src/slack/ids.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import {
  button,
  driveModal,
  FAST_RETRY,
  metadataOf,
  modal,
  press,
  pushedSince,
  ROTATION_POLICY,
  rotationRecord,
  rotorCli,
  slashRotate,
  startRotationHarness,
  submitReason,
  submitTicket,
  textOf,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { stateValue, submittedView } from '../../support/slack-payloads.js';
import { snapshotTables, type TempStore } from '../../support/temp-db.js';
import { useFakeVault } from '../../support/vault.js';
import { daysAgo } from '../../support/clock-dates.js';

/**
 * A generated value keeps the shape of the value it replaces (issue 18, item 1), driven as
 * people do it: signed Slack requests to the real bot, moto and the fake Vault as the stores.
 * Values are compared where they are stored and never printed: assertions compare booleans.
 */

const TABLES = ['secrets', 'rotations', 'rotation_steps', 'rotation_approvals', 'audit_events', 'follow_ups'];
const hex = (bytes = 12) => randomBytes(bytes).toString('hex');

function seedSecret(store: TempStore, name: string, fields: Record<string, unknown>): void {
  store.inventoryService.create(
    { name, type: 'database', owner: 'U0OWNER', lastRotated: daysAgo(store.clock, 31), ...fields },
    operator(),
    'test',
  );
}

/** `/rotate`, the ticket, every step to the end, Complete: a staging rotation needs no approvals. */
async function rotateToTheEnd(h: SlackHarness, name: string): Promise<number> {
  const viewId = (await slashRotate(h, 'U0OWNER', name)).viewId as string;
  await submitTicket(h, 'U0OWNER', viewId, 'OPS-1');
  await driveModal(h, 'U0OWNER', viewId, null);
  await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationComplete);
  const rotationId = metadataOf(modal(h, viewId)).rotationId as number;
  expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
  return rotationId;
}

/** Every key but `field` is the same, and `field` changed to 48 letters and digits (compared, never printed). */
function expectOnlyFieldChanged(before: Record<string, unknown>, after: Record<string, unknown>, field: string): void {
  expect(Object.keys(after)).toEqual(Object.keys(before));
  expect({ ...after, [field]: null }).toEqual({ ...before, [field]: null });
  expect(after[field] === before[field], `${field} changed`).toBe(false);
  expect(/^[A-Za-z0-9]{48}$/.test(String(after[field])), `${field} is 48 letters and digits`).toBe(true);
}

/** None of `values` is in what Slack received, in the bot's log, in the database file and its WAL. */
function expectNowhere(h: SlackHarness, values: readonly unknown[]): void {
  h.store.db.pragma('wal_checkpoint(TRUNCATE)');
  const files = [h.store.path, `${h.store.path}-wal`].filter(existsSync).map((path) => readFileSync(path));
  const slack = JSON.stringify(h.fake.calls) + JSON.stringify(h.fake.responses);
  const log = h.rawLog();
  for (const value of values.map(String)) {
    expect(value.length).toBeGreaterThan(8);
    expect(slack.includes(value), 'a value reached Slack').toBe(false);
    expect(log.includes(value), 'a value reached the log').toBe(false);
    expect(
      files.some((bytes) => bytes.includes(value)),
      'a value reached the database',
    ).toBe(false);
  }
}

/** `/secrets edit NAME`, then Save with every input as the form showed it, `changes` applied. */
async function saveEditForm(
  h: SlackHarness,
  userId: string,
  name: string,
  changes: Partial<Record<keyof typeof SECRET_FORM_BLOCKS, ViewStateValue>>,
): Promise<Record<string, unknown> | null> {
  const before = h.fake.callsTo('views.open').length;
  await h.untilHandled(() => h.command('/secrets', `edit ${name}`, userId));
  await h.fake.waitForCall('views.open', () => h.fake.callsTo('views.open').length > before);
  const view = h.fake.callsTo('views.open').at(-1)?.args.view as ModalView;
  const values: Record<string, Record<string, ViewStateValue>> = {};
  for (const block of view.blocks) {
    if (block.type !== 'input') continue;
    const element = (block as { element: unknown }).element as {
      type: string;
      initial_value?: string;
      initial_option?: { value: string };
      initial_user?: string;
      initial_date?: string;
    };
    const shown =
      element.type === 'static_select'
        ? stateValue.select(element.initial_option?.value ?? null)
        : element.type === 'users_select'
          ? stateValue.user(element.initial_user ?? null)
          : element.type === 'datepicker'
            ? ({ type: 'datepicker', selected_date: element.initial_date ?? null } as ViewStateValue)
            : stateValue.text(element.initial_value ?? null);
    values[block.block_id as string] = { [FORM_VALUE_ACTION]: shown };
  }
  for (const [field, value] of Object.entries(changes))
    values[SECRET_FORM_BLOCKS[field as keyof typeof SECRET_FORM_BLOCKS]] = { [FORM_VALUE_ACTION]: value as ViewStateValue };
  const submitted = submittedView(h.payloads, {
    callbackId: CALLBACK_IDS.editSecret,
    privateMetadata: view.private_metadata ?? '',
    values,
  });
  const reply = await h.untilHandled(() => h.submit({ userId, view: submitted }));
  expect(reply.status).toBe(200);
  return reply.text === '' ? null : (reply.json() as Record<string, unknown>);
}

describe.runIf(shouldRunMotoSuite('the value-shape rotation suite'))(
  'a generated AWS value keeps the shape of the secret, through Slack',
  () => {
    const moto = useMoto();
    let harness: SlackHarness | undefined;
    afterEach(async () => harness?.close());

    const start = (seed: (store: TempStore) => void, policy = ROTATION_POLICY) =>
      startRotationHarness({ aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }), seed, policy });
    const current = async (name: string) =>
      JSON.parse(
        String((await moto.sdk.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSCURRENT' }))).SecretString),
      ) as Record<string, unknown>;
    const versionIds = async (name: string) =>
      Object.keys((await moto.sdk.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {}).sort();

    it('a JSON database secret: the preflight names the field, and only `password` changes; username, host and port are kept', async () => {
      const before = { username: `app_${hex(3)}`, password: hex(), host: 'db.staging.internal', port: 5432, dbname: 'app' };
      await moto.sdk.send(new CreateSecretCommand({ Name: 'staging/app/db', SecretString: JSON.stringify(before) }));
      harness = await start((store) => seedSecret(store, 'staging/app/db', { provider: 'aws', providerRef: 'staging/app/db' }));
      const h = harness;
      const viewId = (await slashRotate(h, 'U0OWNER', 'staging/app/db')).viewId as string;
      expect(textOf(modal(h, viewId))).toContain(
        'The generated value replaces the `password` field of staging/app/db (the default); every other field (username, host, port, dbname) is kept as it is.',
      );
      h.store.clock.advance({ minutes: 1 });
      const rotationId = await rotateToTheEnd(h, 'staging/app/db');
      const after = await current('staging/app/db');
      expectOnlyFieldChanged(before, after, 'password');
      const { rotation, steps } = rotationRecord(h, rotationId);
      expect(steps[0]?.result).toMatchObject({ placement: { kind: 'field', field: 'password' } });
      expect(h.store.inventory.get('staging/app/db')).toMatchObject({
        currentVersionId: rotation.newVersionId,
        currentFingerprint: rotation.newFingerprint,
      });
      expectNowhere(h, [before.username, before.password, after.password]);
    });

    it('a JSON secret without a `password` field, or a connection string, is refused at the preflight with the fix; nothing is written at the store or in the database', async () => {
      await moto.sdk.send(
        new CreateSecretCommand({ Name: 'staging/app/db', SecretString: JSON.stringify({ user: 'app', pwd: hex(), host: 'db' }) }),
      );
      await moto.sdk.send(
        new CreateSecretCommand({ Name: 'staging/app/dsn', SecretString: `postgresql://app:${hex()}@db.staging.internal:5432/app` }),
      );
      harness = await start((store) => {
        seedSecret(store, 'staging/app/db', { provider: 'aws', providerRef: 'staging/app/db' });
        seedSecret(store, 'staging/app/dsn', {
          provider: 'aws',
          providerRef: 'staging/app/dsn',
          tags: { 'rotor:value_source': 'generate' },
        });
      });
      const h = harness;
      const versionsBefore = { db: await versionIds('staging/app/db'), dsn: await versionIds('staging/app/dsn') };
      const before = snapshotTables(h.store, TABLES);

      const db = (await slashRotate(h, 'U0OWNER', 'staging/app/db')).viewId as string;
      const shown = textOf(modal(h, db));
      expect(shown).toContain(
        ':no_entry: staging/app/db has the fields user, pwd, host but no `password`, so Rotor cannot tell which one to replace.',
      );
      expect(shown).toContain('`rotor edit staging/app/db --value-field &lt;field&gt;`');
      expect(shown).toContain('`rotor:value_source=issuer`');
      expect(shown).toContain('Fix what the preflight found');
      expect(modal(h, db).submit).toBeUndefined();
      // A Start submitted anyway (a forged or older view) is refused: the preflight runs again.
      await submitTicket(h, 'U0OWNER', db, 'OPS-2');
      expect(textOf(modal(h, db))).toContain('staging/app/db cannot be rotated yet');

      const dsn = (await slashRotate(h, 'U0OWNER', 'staging/app/dsn')).viewId as string;
      expect(textOf(modal(h, dsn))).toContain(
        ':no_entry: staging/app/dsn holds a URL or connection string, so a generated value would replace it whole.',
      );
      expect(textOf(modal(h, dsn))).toContain('`rotor edit staging/app/dsn --value-source issuer`');

      expect(snapshotTables(h.store, TABLES)).toEqual(before);
      expect({ db: await versionIds('staging/app/db'), dsn: await versionIds('staging/app/dsn') }).toEqual(versionsBefore);
    });

    it('the field is set per secret with `rotor edit` and with /secrets edit, and per type in the policy; the value source issuer from the form', async () => {
      const shapes = {
        'staging/app/db': { user: 'app', pwd: hex(), host: 'db' },
        'staging/billing/db': { login: 'billing', secret: hex(), port: 5433 },
        'staging/cache/redis': { auth_token: hex(), tls: true },
      };
      for (const [name, value] of Object.entries(shapes))
        await moto.sdk.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
      await moto.sdk.send(new CreateSecretCommand({ Name: 'staging/app/dsn', SecretString: `postgresql://app:${hex()}@db/app` }));
      harness = await start((store) => {
        seedSecret(store, 'staging/app/db', { provider: 'aws', providerRef: 'staging/app/db' });
        seedSecret(store, 'staging/billing/db', { provider: 'aws', providerRef: 'staging/billing/db' });
        seedSecret(store, 'staging/cache/redis', { type: 'redis', provider: 'aws', providerRef: 'staging/cache/redis' });
        seedSecret(store, 'staging/app/dsn', {
          provider: 'aws',
          providerRef: 'staging/app/dsn',
          tags: { 'rotor:value_source': 'generate' },
        });
      }, `${ROTATION_POLICY}value_fields:\n  redis: auth_token\n`);
      const h = harness;

      // Per secret, with the CLI.
      expect(await rotorCli(h, 'edit', 'staging/app/db', '--value-field', 'pwd')).toMatchObject({
        code: 0,
        stdout: 'Saved staging/app/db: value source default, value field pwd.\n',
      });
      await rotateToTheEnd(h, 'staging/app/db');
      expectOnlyFieldChanged(shapes['staging/app/db'], await current('staging/app/db'), 'pwd');

      // Per secret, with the edit form: the field shows in the form and is saved from it.
      expect(await saveEditForm(h, 'U0OWNER', 'staging/billing/db', { valueField: stateValue.text('secret') })).toBeNull();
      expect(h.store.inventory.get('staging/billing/db')?.valueField).toBe('secret');
      const viewId = (await slashRotate(h, 'U0OWNER', 'staging/billing/db')).viewId as string;
      expect(textOf(modal(h, viewId))).toContain(
        'The generated value replaces the `secret` field of staging/billing/db (its own value field)',
      );
      await rotateToTheEnd(h, 'staging/billing/db');
      expectOnlyFieldChanged(shapes['staging/billing/db'], await current('staging/billing/db'), 'secret');

      // Per type, in the policy.
      await rotateToTheEnd(h, 'staging/cache/redis');
      expectOnlyFieldChanged(shapes['staging/cache/redis'], await current('staging/cache/redis'), 'auth_token');

      // A composed value: the form's "New value at rotation" makes a person write it, and the preflight no longer refuses.
      const form = await saveEditForm(h, 'U0OWNER', 'staging/app/dsn', { valueSource: stateValue.select('issuer') });
      expect(form).toBeNull();
      expect(h.store.inventory.get('staging/app/dsn')?.valueSource).toBe('issuer');
      const dsn = (await slashRotate(h, 'U0OWNER', 'staging/app/dsn')).viewId as string;
      expect(textOf(modal(h, dsn))).not.toContain(':no_entry:');
      await submitTicket(h, 'U0OWNER', dsn, 'OPS-3');
      expect(button(modal(h, dsn), ACTION_IDS.rotationRunStep)).toMatchObject({ value: 'create_version' });
      const rotationId = metadataOf(modal(h, dsn)).rotationId as number;
      expect(rotationRecord(h, rotationId).steps[0]?.action).toBe('detect_version');

      // A bad field name from the form is refused on its field, and nothing changes.
      const before = snapshotTables(h.store, TABLES);
      expect(await saveEditForm(h, 'U0OWNER', 'staging/billing/db', { valueField: stateValue.text('pass word') })).toMatchObject({
        response_action: 'errors',
        errors: { [SECRET_FORM_BLOCKS.valueField]: expect.stringContaining('`pass word` is not a field name') },
      });
      expect(snapshotTables(h.store, TABLES)).toEqual(before);
    });
  },
);

describe("a generated Vault value keeps every other field, and a lost answer is recognised as Rotor's own write, through Slack", () => {
  const vault = useFakeVault();
  let harness: SlackHarness | undefined;
  afterEach(async () => harness?.close());

  const start = () =>
    startRotationHarness({
      vault: () => new VaultKv2Provider({ endpoint: vault.fake.address, token: vault.token, retry: FAST_RETRY }),
      seed: (store) =>
        seedSecret(store, 'staging/cache/redis', { type: 'redis', provider: 'vault', providerRef: 'secret/staging/cache/redis' }),
    });
  const data = (version: number) =>
    vault.fake.version('secret', 'staging/cache/redis', version)?.data as Record<string, unknown> | undefined;
  const seedValue = () => vault.fake.putSecret('secret', 'staging/cache/redis', { password: hex(), username: `cache_${hex(3)}`, db: 0 });

  /** `/rotate`, the ticket, and the modal with Create as the current step. */
  async function startRotation(h: SlackHarness): Promise<{ viewId: string; rotationId: number }> {
    const viewId = (await slashRotate(h, 'U0OWNER', 'staging/cache/redis')).viewId as string;
    expect(textOf(modal(h, viewId))).toContain(
      'The generated value replaces the `password` field of staging/cache/redis (the default); every other field (username, db) is kept as it is.',
    );
    await submitTicket(h, 'U0OWNER', viewId, 'OPS-9');
    return { viewId, rotationId: metadataOf(modal(h, viewId)).rotationId as number };
  }

  it('a Vault secret of fields: only `password` changes, `username` and `db` are kept (not replaced by `value`)', async () => {
    seedValue();
    harness = await start();
    const rotationId = await rotateToTheEnd(harness, 'staging/cache/redis');
    expectOnlyFieldChanged(data(1) as Record<string, unknown>, data(2) as Record<string, unknown>, 'password');
    expect(data(3)).toBeUndefined();
    // The checklist reads the field Rotor wrote, not the reference's default `value`.
    const reads = rotationRecord(harness, rotationId)
      .steps.map((step) => step.detail ?? '')
      .filter((detail) => detail.includes('vault kv get') && detail.includes('-field='));
    expect(reads.length).toBeGreaterThan(0);
    for (const detail of reads) expect(detail).toContain('vault kv get -mount=secret -field=password staging/cache/redis');
  });

  it('the answer to the write is lost: Rotor reads its own version back and records it, with no conflict reported', async () => {
    seedValue();
    harness = await start();
    const h = harness;
    const { viewId, rotationId } = await startRotation(h);
    vault.fake.loseNextWriteAnswer();
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    expect(textOf(modal(h, viewId))).not.toContain(':warning:');
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({ newVersionId: '2' });
    expect(data(3)).toBeUndefined();
    expectOnlyFieldChanged(data(1) as Record<string, unknown>, data(2) as Record<string, unknown>, 'password');
  });

  it("the answer is lost and Vault goes away: the step fails having noted its write; Try again adopts the version as Rotor's own", async () => {
    seedValue();
    harness = await start();
    const h = harness;
    const { viewId, rotationId } = await startRotation(h);
    vault.fake.loseNextWriteAnswer(() => vault.fake.failNext(1000, 503, ['Vault is sealed']));
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    const failed = rotationRecord(h, rotationId);
    expect(failed.rotation.newVersionId).toBeNull();
    expect(failed.steps[0]).toMatchObject({ state: 'pending', lastError: expect.stringMatching(/Vault is unavailable|sealed/) });
    // The version the write was to make and its fingerprint were noted before the write.
    expect(failed.steps[0]?.result).toMatchObject({ writeIntent: { versionId: '2', fingerprint: expect.stringMatching(/^sha256:/) } });
    expect(data(2)).toBeDefined();

    vault.fake.failNext(0, 0, []);
    h.store.clock.advance({ minutes: 1 });
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    const adopted = rotationRecord(h, rotationId);
    const intent = failed.steps[0]?.result?.writeIntent as { fingerprint: string };
    expect(adopted.rotation).toMatchObject({ newVersionId: '2', newFingerprint: intent.fingerprint, promotedAt: expect.any(String) });
    expect(adopted.steps[0]).toMatchObject({ state: 'done', result: expect.objectContaining({ adopted: true, versionId: '2' }) });
    expect(data(3)).toBeUndefined();
  });

  it("the answer is lost and Vault goes away, then Abandon: the previous data is written back, so Rotor's value is not left live", async () => {
    seedValue();
    harness = await start();
    const h = harness;
    const { viewId, rotationId } = await startRotation(h);
    vault.fake.loseNextWriteAnswer(() => vault.fake.failNext(1000, 503, ['Vault is sealed']));
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    expect(rotationRecord(h, rotationId).rotation.newVersionId).toBeNull();
    vault.fake.failNext(0, 0, []);

    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'the store misbehaved, trying again tomorrow');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('abandoned');
    // Version 3 holds version 1's data again: what consumers read is what they read before.
    expect(data(3)).toEqual(data(1));
    expect(h.store.inventory.get('staging/cache/redis')).toMatchObject({ currentVersionId: '3', lifecycle: 'active' });
    const abandoned = h.store.db.prepare(`SELECT details FROM audit_events WHERE action = 'rotation.abandoned'`).pluck().get() as string;
    expect(JSON.parse(abandoned).cleanup).toMatchObject({ action: 'restored_previous', versionId: '3', undid: '2' });
    expect((await rotorCli(h, 'audit', 'verify')).code).toBe(0);
    expectNowhere(h, [data(1)?.password, data(1)?.username, data(2)?.password]);
  });

  it('the answer is lost and Vault answers 503 at Abandon: the modal offers "Abandon: cleaned up by hand…", which abandons without asking Vault', async () => {
    seedValue();
    harness = await start();
    const h = harness;
    const { viewId, rotationId } = await startRotation(h);
    vault.fake.loseNextWriteAnswer(() => vault.fake.failNext(10_000, 503, ['Vault is sealed']));
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    expect(rotationRecord(h, rotationId).rotation.newVersionId).toBeNull();
    expect(data(2)).toBeDefined();
    expect(button(modal(h, viewId), ACTION_IDS.rotationAbandonByHand)).toBeUndefined();

    // Vault stays sealed: the refusal changes nothing in the database.
    const versionBefore = h.store.inventory.get('staging/cache/redis')?.currentVersionId;
    const before = snapshotTables(h.store, TABLES);
    let since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'Vault is sealed; starting over later');
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
    const refused = modal(h, viewId);
    expect(textOf(refused)).toContain("Could not check whether Rotor's write of a new version of staging/cache/redis reached Vault");
    expect(textOf(refused)).toContain('if this rotation wrote version 2: `vault kv rollback -mount=secret -version=1 staging/cache/redis`');
    // The rollback makes a Vault version the inventory does not know: a sync records it.
    expect(textOf(refused)).toContain(
      '`vault kv rollback -mount=secret -version=1 staging/cache/redis`, then `rotor sync` so the inventory records the version now current',
    );
    expect(button(refused, ACTION_IDS.rotationAbandonByHand)?.text).toBe('Abandon: cleaned up by hand…');
    expect(textOf(refused)).toContain('and then choose “Abandon: cleaned up by hand…”.');

    // Rolled back by hand, then said so in Slack: Vault is not asked again.
    const asked = vault.fake.requests.length;
    since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationAbandonByHand);
    const byHandForm = pushedSince(h, since);
    // Saying it was done by hand needs a reason: a blank one is refused on its field, and nothing changes.
    for (const blank of [null, '   '])
      expect(await submitReason(h, 'U0OWNER', byHandForm, blank)).toMatchObject({
        response_action: 'errors',
        errors: { [ROTATION_BLOCKS.reason]: expect.any(String) },
      });
    expect(snapshotTables(h.store, TABLES)).toEqual(before);
    await submitReason(h, 'U0OWNER', byHandForm, 'rolled back to version 1 with the vault CLI as shown');
    expect(vault.fake.requests.length).toBe(asked);
    expect(rotationRecord(h, rotationId).rotation).toMatchObject({
      state: 'abandoned',
      endReason: 'rolled back to version 1 with the vault CLI as shown',
    });
    const cleanups = h.store.db
      .prepare(`SELECT json_extract(details, '$.cleanup') FROM audit_events WHERE action = 'rotation.abandoned'`)
      .pluck()
      .all() as string[];
    expect(cleanups.map((cleanup) => JSON.parse(cleanup))).toEqual([{ action: 'by_hand', versionId: '2' }]);
    expect(h.store.inventory.get('staging/cache/redis')).toMatchObject({ currentVersionId: versionBefore, lifecycle: 'active' });
  });

  it("someone else's write at the same version is not taken for Rotor's: the step says so, and Abandon leaves their version", async () => {
    seedValue();
    harness = await start();
    const h = harness;
    const { viewId, rotationId } = await startRotation(h);
    vault.fake.beforeNextWrite = () =>
      vault.fake.putSecret('secret', 'staging/cache/redis', { password: hex(), username: 'someone-else', db: 0 });
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    expect(textOf(modal(h, viewId))).toContain('someone wrote a new version of secret/staging/cache/redis meanwhile');
    h.store.clock.advance({ minutes: 1 });
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationRunStep);
    const record = rotationRecord(h, rotationId);
    expect(record.rotation.newVersionId).toBeNull();
    expect(record.steps[0]?.lastError).toMatch(/is 2, not 1 as Rotor expected: someone wrote a version meanwhile/);

    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', viewId, ACTION_IDS.rotationAbandon);
    await submitReason(h, 'U0OWNER', pushedSince(h, since), 'someone else rotated it');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('abandoned');
    expect(data(2)?.username).toBe('someone-else');
    expect(data(3)).toBeUndefined();
  });
});
