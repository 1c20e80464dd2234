import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
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

  function start(options: { endpoint?: string; policy?: string } = {}): Promise<SlackHarness> {
    return startRotationHarness({
      stores: () => ({ kms: new AwsKmsKeyProvider({ retry: FAST_RETRY, ...(options.endpoint ? { endpoint: options.endpoint } : {}) }) }),
      ...(options.policy ? { policy: options.policy } : {}),
      seed: (store) =>
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
        ),
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
});
