import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
  RotateKeyOnDemandCommand,
} from '@aws-sdk/client-kms';
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsKmsKeyProvider } from '../../../src/providers/aws-kms/kms-key-provider.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import {
  ACTION_IDS,
  clickInMessage,
  dmsTo,
  driveModal,
  FAST_RETRY,
  followUpsSettled,
  metadataOf,
  modal,
  press,
  pushedSince,
  rotationRecord,
  rotorCli,
  slashRotate,
  startRotationHarness,
  submitRollback,
  submitTicket,
  textOf,
  waitForDms,
  waitForPosts,
} from '../../support/rotation-slack.js';
import { INCIDENT_CHANNEL, incidentRecord, slashRevoke, submitRevoke } from '../../support/revocation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';
import { AwsFaultServer } from '../../fakes/aws-fault-server.js';

/**
 * A KMS alias rotated through Slack as people do it, against moto: signed requests to the real
 * bot, the approvals by DM, every step at moto, the end of the retention window under the
 * injected clock, and a rollback inside the deletion window.
 */

const SECRET = 'prod/payments/app_key';
const DAY_MS = 86_400_000;

describe.runIf(shouldRunMotoSuite('the KMS rotation through Slack'))('a KMS key rotated through Slack, against moto', () => {
  const moto = useMoto();
  let kms: KMSClient;
  let harness: SlackHarness | undefined;
  let proxy: AwsFaultServer | undefined;
  beforeAll(() => {
    kms = new KMSClient({});
  });
  afterAll(() => kms.destroy());
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
    await proxy?.stop();
    proxy = undefined;
  });

  async function createAliasedKey(alias = 'alias/app'): Promise<{ keyId: string; keyArn: string }> {
    const created = await kms.send(
      new CreateKeyCommand({
        Description: 'the first app key',
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
        Tags: [{ TagKey: 'team', TagValue: 'payments' }],
      }),
    );
    const keyId = created.KeyMetadata?.KeyId as string;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    return { keyId, keyArn: created.KeyMetadata?.Arn as string };
  }

  const keyOf = async (keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  const tagsOf = async (keyId: string) =>
    Object.fromEntries(
      ((await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags ?? []).map((tag) => [tag.TagKey, tag.TagValue]),
    );
  const policyOf = async (keyId: string) =>
    JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy as string) as unknown;
  const keyCount = async () => (await kms.send(new ListAliasesCommand({}))).Aliases?.filter((a) => !a.AliasName?.startsWith('alias/aws/'));

  /** `current`: the key the inventory already records as the alias's (as after a first `rotor sync`). */
  function start(options: { endpoint?: string; policy?: string; current?: { keyId: string; keyArn: string } } = {}): Promise<SlackHarness> {
    return startRotationHarness({
      stores: () => ({ kms: new AwsKmsKeyProvider({ retry: FAST_RETRY, ...(options.endpoint ? { endpoint: options.endpoint } : {}) }) }),
      ...(options.policy ? { policy: options.policy } : {}),
      seed: (store) => {
        store.inventoryService.create(
          {
            name: SECRET,
            type: 'kms_key',
            owner: 'U0OWNER',
            provider: 'kms',
            providerRef: 'alias/app',
            lastRotated: store.clock.now().minus({ days: 400 }).toISODate() as string,
          },
          operator(),
          'test',
        );
        if (options.current)
          store.inventoryService.recordVersion(
            SECRET,
            { versionId: options.current.keyId, fingerprint: options.current.keyArn },
            operator(),
            'secret.version_synced',
            { source: 'test' },
          );
      },
    });
  }

  it('rotates the alias with approvals: a new key like the old one, the alias moved, a round trip, provenance tags, the old key scheduled for deletion 30 days out at the end of the window, then rolled back', async () => {
    const old = await createAliasedKey();
    harness = await start();
    const h = harness;
    const rotator = 'U0OPS2';

    const { viewId } = await slashRotate(h, rotator, SECRET);
    const id = viewId as string;
    expect(textOf(modal(h, id))).toContain(`Rotor can read the current version (${old.keyId})`);
    await submitTicket(h, rotator, id, 'SEC-77');
    const rotationId = metadataOf(modal(h, id)).rotationId as number;

    // Creating a key is locked until both approvals: a KMS key cannot be deleted at once.
    expect(textOf(modal(h, id))).toContain('Locked until a security lead and a DevOps lead approve.');
    expect(await keyCount()).toHaveLength(1);
    for (const lead of ['U0SEC', 'U0OPS']) {
      h.store.clock.advance({ minutes: 1 });
      await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
    }

    await driveModal(h, rotator, id, 'promote');
    const newKeyId = rotationRecord(h, rotationId).rotation.newVersionId as string;
    expect(newKeyId).not.toBe(old.keyId);
    const fresh = await keyOf(newKeyId);
    expect(fresh).toMatchObject({
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
      Description: `App key ${h.store.clock.now().toUTC().toFormat('yyyyLLdd')}`,
    });
    expect(await tagsOf(newKeyId)).toMatchObject({ team: 'payments' });
    expect(await policyOf(newKeyId)).toEqual(await policyOf(old.keyId));
    // Created, not yet live: the alias still names the old key.
    expect((await keyOf('alias/app'))?.KeyId).toBe(old.keyId);

    await driveModal(h, rotator, id, null);
    expect((await keyOf('alias/app'))?.KeyId).toBe(newKeyId);
    const verified = rotationRecord(h, rotationId).steps.find((step) => step.action === 'verify');
    expect(verified?.result).toMatchObject({ versionId: newKeyId, fingerprint: fresh?.Arn, checks: { roundTrip: 'passed' } });
    h.store.clock.advance({ minutes: 1 });
    await press(h, rotator, id, ACTION_IDS.rotationComplete);
    expect(h.store.inventory.get(SECRET)).toMatchObject({
      lifecycle: 'active',
      currentVersionId: newKeyId,
      currentFingerprint: fresh?.Arn,
    });

    // The announcement gives the line people run: the alias, never key material.
    const [announcement] = await waitForPosts(h, 'C0ANNOUNCE');
    expect(textOf({ blocks: announcement!.args.blocks as unknown[] })).toContain(
      'aws kms describe-key --key-id alias/app --query KeyMetadata.Arn --output text',
    );
    // Provenance on the new key.
    await h.runtime.runJob('provenance-tags');
    expect(await tagsOf(newKeyId)).toMatchObject({
      team: 'payments',
      version: h.store.clock.now().toUTC().toFormat('yyyyLLdd'),
      rotated_by: expect.any(String),
    });

    // The end of the retention window (48 h after promotion), under the injected clock: the DM, then the deletion scheduled.
    const { promotedAt } = rotationRecord(h, rotationId).rotation;
    h.store.clock.set(
      DateTime.fromISO(promotedAt as string)
        .plus({ hours: 48, minutes: 1 })
        .toUTC()
        .toISO() as string,
    );
    await h.runtime.runJob('follow-up-sweep');
    const removalDms = () => dmsTo(h, rotator).filter((call) => /^Remove the previous version/.test(String(call.args.text)));
    expect(removalDms()).toHaveLength(1);
    expect((await keyOf(old.keyId))?.KeyState).toBe('Enabled');
    const removal = await clickInMessage(h, rotator, removalDms()[0]!, ACTION_IDS.rotationRemovePrevious);
    expect(removal.reply).toBeNull();
    const pending = await keyOf(old.keyId);
    expect(pending?.KeyState).toBe('PendingDeletion');
    // KMS's clock set the date: 30 days after the old key's creation moments ago.
    expect(Math.round(((pending?.DeletionDate as Date).getTime() - (pending?.CreationDate as Date).getTime()) / DAY_MS)).toBe(30);
    const removed = h.store.db
      .prepare(`SELECT details FROM audit_events WHERE action = 'rotation.previous_removed' AND json_extract(details, '$.rotation') = ?`)
      .pluck()
      .get(rotationId) as string;
    expect(JSON.parse(removed)).toMatchObject({
      versionId: old.keyId,
      deletionDate: (pending?.DeletionDate as Date).toISOString(),
      recoverableUntil: h.store.clock.now().toUTC().plus({ days: 30 }).toISO(),
    });

    // Past the retention window but inside the deletion window: /rotate still offers the rollback, which cancels the deletion.
    h.store.clock.advance({ days: 3 });
    const again = (await slashRotate(h, 'U0OWNER', SECRET)).viewId as string;
    expect(textOf(modal(h, again))).toContain('it can be rolled back until');
    const since = h.fake.calls.length;
    await press(h, 'U0OWNER', again, ACTION_IDS.rotationRollback);
    await submitRollback(h, 'U0OWNER', pushedSince(h, since), 'decryption errors in checkout');
    expect(rotationRecord(h, rotationId).rotation.state).toBe('rolled_back');
    expect((await keyOf('alias/app'))?.KeyId).toBe(old.keyId);
    expect(await keyOf(old.keyId)).toMatchObject({ KeyState: 'Enabled' });
    expect((await keyOf(old.keyId))?.DeletionDate).toBeUndefined();
    expect(h.store.inventory.get(SECRET)).toMatchObject({ currentVersionId: old.keyId, currentFingerprint: old.keyArn });
    expect((await rotorCli(h, 'audit', 'verify')).code).toBe(0);
  });

  it('refuses an alias that does not exist, or that points at a disabled key, naming it, and changes nothing', async () => {
    harness = await start();
    const h = harness;
    const before = snapshotTables(h.store, ['rotations', 'secrets', 'audit_events']);
    const missing = (await slashRotate(h, 'U0OPS2', SECRET)).viewId as string;
    expect(textOf(modal(h, missing))).toContain('does not exist');
    expect(textOf(modal(h, missing))).toContain('alias/app');
    await expect(submitTicket(h, 'U0OPS2', missing, 'SEC-1')).resolves.toBeDefined();
    expect(snapshotTables(h.store, ['rotations', 'secrets', 'audit_events'])).toEqual(before);

    const disabled = await createAliasedKey();
    await kms.send(new DisableKeyCommand({ KeyId: disabled.keyId }));
    const view = (await slashRotate(h, 'U0OPS2', SECRET)).viewId as string;
    expect(textOf(modal(h, view))).toContain(`the alias points at key ${disabled.keyId}, which is Disabled, not Enabled`);
    await submitTicket(h, 'U0OPS2', view, 'SEC-1');
    expect(snapshotTables(h.store, ['rotations', 'secrets', 'audit_events'])).toEqual(before);
    expect(await keyCount()).toHaveLength(1);
  });

  it('refuses a key whose policy Rotor may not read, so cannot copy, and changes nothing', async () => {
    await createAliasedKey();
    proxy = new AwsFaultServer(moto.endpoint);
    const endpoint = await proxy.start();
    proxy.queue({ kind: 'error', status: 400, type: 'AccessDeniedException', message: 'not allowed' }, 10, 'GetKeyPolicy');
    harness = await start({ endpoint });
    const h = harness;
    const before = snapshotTables(h.store, ['rotations', 'secrets', 'audit_events']);
    const view = (await slashRotate(h, 'U0OPS2', SECRET)).viewId as string;
    expect(textOf(modal(h, view))).toContain('Rotor may not read the key policy');
    await submitTicket(h, 'U0OPS2', view, 'SEC-1');
    expect(snapshotTables(h.store, ['rotations', 'secrets', 'audit_events'])).toEqual(before);
    expect(await keyCount()).toHaveLength(1);
  });

  it('/revoke of a KMS key through Slack: the alias moves to a fresh key first, then the compromised key is disabled at once', async () => {
    const old = await createAliasedKey();
    harness = await start({ current: old });
    const h = harness;

    const revoke = (await slashRevoke(h, 'U0SEC', `${SECRET} leaked in a public gist`, INCIDENT_CHANNEL)).viewId as string;
    await submitRevoke(h, 'U0SEC', revoke, { confirm: SECRET, order: 'disable_now', severity: 'SEV1' });
    await followUpsSettled(h);
    const { incident } = incidentRecord(h, 1);
    expect(incident.compromisedVersionId).toBe(old.keyId);
    const disabled = rotationRecord(h, incident.rotationId as number).steps.find((step) => step.id === 'disable_compromised');
    expect(disabled?.state).toBe('done');
    const fresh = disabled?.result?.replacementVersionId as string;
    expect(disabled?.result).toMatchObject({ versionId: old.keyId, action: 'disabled' });

    // The alias names a fresh key made like the old one, enabled; the compromised key can no longer encrypt or decrypt.
    expect(fresh).not.toBe(old.keyId);
    expect((await keyOf('alias/app'))?.KeyId).toBe(fresh);
    expect(await keyOf(fresh)).toMatchObject({ KeyState: 'Enabled', KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
    expect(await tagsOf(fresh)).toMatchObject({ team: 'payments' });
    expect((await keyOf(old.keyId))?.KeyState).toBe('Disabled');

    // In that order: the alias moved (promote) before the old key was disabled.
    const actions = h.store.db
      .prepare(`SELECT action FROM audit_events WHERE action IN ('provider.version_promoted', 'provider.version_disabled') ORDER BY seq`)
      .pluck()
      .all();
    expect(actions.slice(0, 2)).toEqual(['provider.version_promoted', 'provider.version_disabled']);
    expect((await rotorCli(h, 'audit', 'verify')).code).toBe(0);
  });

  it("KMS's own automatic rotation: turned on from the CLI with its period and recorded; `rotor sync` records each rotation KMS performs, once", async () => {
    const key = await createAliasedKey();
    harness = await start({ current: key });
    const h = harness;
    const rotationStatus = async () => kms.send(new GetKeyRotationStatusCommand({ KeyId: key.keyId }));
    const tables = ['secrets', 'audit_events', 'kms_automatic_rotations'];

    // Bad input: a period KMS refuses, one longer than the secret's interval, a secret not in KMS. Exit 2, nothing changed.
    const before = snapshotTables(h.store, tables);
    const tooShort = await rotorCli(h, 'kms', 'auto-rotate', SECRET, '--period-days', '60');
    expect(tooShort).toMatchObject({ code: 2, stderr: expect.stringContaining('every 90 to 2560 days') });
    const tooLong = await rotorCli(h, 'kms', 'auto-rotate', SECRET, '--period-days', '400');
    expect(tooLong).toMatchObject({ code: 2, stderr: expect.stringContaining('less often than its rotation interval of 365 days') });
    const unknown = await rotorCli(h, 'kms', 'auto-rotate', 'prod/nothing/here', '--period-days', '180');
    expect(unknown.code).not.toBe(0);
    expect(snapshotTables(h.store, tables)).toEqual(before);
    expect((await rotationStatus()).KeyRotationEnabled).toBe(false);

    const enabled = await rotorCli(h, 'kms', 'auto-rotate', SECRET, '--period-days', '180');
    expect(enabled.stderr).toBe('');
    expect(enabled.stdout).toContain(`KMS now rotates ${SECRET} (key ${key.keyId}) itself every 180 days`);
    // moto turns rotation on but keeps no period (GetKeyRotationStatus answers none): Rotor's record is where the period is.
    expect(await rotationStatus()).toMatchObject({ KeyRotationEnabled: true });
    expect(h.store.db.prepare('SELECT key_id, period_days FROM kms_automatic_rotations').all()).toEqual([
      { key_id: key.keyId, period_days: 180 },
    ]);
    const audited = h.store.db.prepare(`SELECT details FROM audit_events WHERE action = 'kms.automatic_rotation_enabled'`).pluck().all();
    expect(audited.map((details) => JSON.parse(details as string))).toEqual([
      expect.objectContaining({ keyId: key.keyId, periodDays: 180 }),
    ]);

    // Nothing rotated yet: sync records nothing.
    const lastRotated = h.store.inventory.get(SECRET)?.lastRotated;
    expect((await rotorCli(h, 'sync', '--provider', 'kms', '--json')).code).toBe(0);
    expect(h.store.inventory.get(SECRET)?.lastRotated).toBe(lastRotated);

    // KMS rotates the key material (moto never runs the schedule, so the rotation is asked for on demand): the key id stays.
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.keyId }));
    const synced = await rotorCli(h, 'sync', '--provider', 'kms', '--json');
    expect(synced.code).toBe(0);
    const report = JSON.parse(synced.stdout) as { rotations: { secret: string; message: string }[] };
    expect(report.rotations).toEqual([{ secret: SECRET, message: expect.stringContaining(`rotated by the store itself`) }]);
    const secret = h.store.inventory.get(SECRET);
    expect(secret).toMatchObject({ currentVersionId: key.keyId, currentFingerprint: key.keyArn });
    expect(secret?.lastRotated).not.toBe(lastRotated);
    const recorded = h.store.db
      .prepare(`SELECT details FROM audit_events WHERE action = 'secret.rotated_outside_rotor' AND secret = ?`)
      .pluck()
      .all(SECRET);
    expect(recorded.map((details) => JSON.parse(details as string))).toEqual([
      expect.objectContaining({ provider: 'kms', source: 'sync', rotatedInPlace: 'ON_DEMAND' }),
    ]);

    // Synced again: the same rotation is not recorded twice.
    const again = JSON.parse((await rotorCli(h, 'sync', '--provider', 'kms', '--json')).stdout) as { rotations: unknown[] };
    expect(again.rotations).toEqual([]);
    expect((await rotorCli(h, 'audit', 'verify')).code).toBe(0);
  });
});
