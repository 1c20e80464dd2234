import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import { operator } from '../../support/actors.js';
import { freePort, shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import {
  ACTION_IDS,
  clickInMessage,
  driveModal,
  FAST_RETRY,
  metadataOf,
  modal,
  press,
  rotationRecord,
  ROTATION_POLICY,
  rotorCli,
  slashRotate,
  startRotationHarness,
  submitTicket,
  textOf,
  waitForDms,
  waitForPosts,
} from '../../support/rotation-slack.js';
import type { SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';

/**
 * A Secrets Manager secret replicated to a second region, rotated through Slack against moto:
 * the preflight lists the replicas, verify reads the new version in the replica region too, and
 * a replica that is not in sync is refused by name. moto cannot make a healthy replica lag behind
 * a new version; it does mark a replica `Failed` when its region already holds a secret of that
 * name (which then keeps serving its own value), and that is the lagging replica used here.
 */

const SECRET = 'prod/app/webhook';
const value = () => randomBytes(16).toString('hex');

describe.runIf(shouldRunMotoSuite('replicated secrets through Slack'))(
  'a replicated AWS secret rotated through Slack, against moto',
  () => {
    const moto = useMoto();
    let harness: SlackHarness | undefined;
    const opened: SecretsManagerClient[] = [];
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
      for (const client of opened.splice(0)) client.destroy();
    });

    const ireland = () => {
      const client = new SecretsManagerClient({ region: 'eu-west-1' });
      opened.push(client);
      return client;
    };

    function start(
      options: { replicaEndpointFor?: (region: string) => string | undefined; policy?: string; consumers?: string[] } = {},
    ): Promise<SlackHarness> {
      const { policy, consumers, ...aws } = options;
      return startRotationHarness({
        aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint, ...aws }),
        ...(policy ? { policy } : {}),
        seed: (store) =>
          store.inventoryService.create(
            {
              name: SECRET,
              type: 'webhook',
              owner: 'U0OWNER',
              provider: 'aws',
              providerRef: SECRET,
              ...(consumers ? { consumers } : {}),
              lastRotated: store.clock.now().minus({ days: 200 }).toISODate() as string,
            },
            operator(),
            'test',
          ),
      });
    }

    it('lists the replica at the preflight and verifies the new version in both regions', async () => {
      await moto.sdk.send(new CreateSecretCommand({ Name: SECRET, SecretString: value(), AddReplicaRegions: [{ Region: 'eu-west-1' }] }));
      harness = await start();
      const h = harness;
      const { viewId } = await slashRotate(h, 'U0OWNER', SECRET);
      const id = viewId as string;
      expect(textOf(modal(h, id))).toContain('Replicated to eu-west-1, all in sync: verify reads the new version in each of them.');
      await submitTicket(h, 'U0OWNER', id, 'SEC-9');
      const rotationId = metadataOf(modal(h, id)).rotationId as number;
      for (const lead of ['U0SEC', 'U0OPS'])
        await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
      await driveModal(h, 'U0OWNER', id, null);
      await press(h, 'U0OWNER', id, ACTION_IDS.rotationComplete);

      const { newVersionId } = rotationRecord(h, rotationId).rotation;
      const verified = rotationRecord(h, rotationId).steps.find((step) => step.action === 'verify');
      expect(verified?.result).toMatchObject({ versionId: newVersionId, checks: { replicasVerified: 'eu-west-1' } });
      const primary = await moto.sdk.send(new GetSecretValueCommand({ SecretId: SECRET, VersionStage: 'AWSCURRENT' }));
      const replica = await ireland().send(new GetSecretValueCommand({ SecretId: SECRET, VersionStage: 'AWSCURRENT' }));
      expect(primary.VersionId).toBe(newVersionId);
      expect(replica.VersionId).toBe(newVersionId);
      expect(rotationRecord(h, rotationId).rotation.state).toBe('completed');
    });

    it('announces, for a consumer in a replica region, the line reading the replica in that region', async () => {
      await moto.sdk.send(new CreateSecretCommand({ Name: SECRET, SecretString: value(), AddReplicaRegions: [{ Region: 'eu-west-1' }] }));
      // billing-api runs next to the replica; ledger runs in the primary's region and checkout's region is not known.
      const policy = `${ROTATION_POLICY}replication:\n  consumer_regions:\n    billing-api: eu-west-1\n    ledger: us-east-1\n`;
      harness = await start({ policy, consumers: ['billing-api', 'ledger', 'checkout'] });
      const h = harness;
      const { viewId } = await slashRotate(h, 'U0OWNER', SECRET);
      const id = viewId as string;
      await submitTicket(h, 'U0OWNER', id, 'SEC-9');
      for (const lead of ['U0SEC', 'U0OPS'])
        await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
      await driveModal(h, 'U0OWNER', id, null);
      await press(h, 'U0OWNER', id, ACTION_IDS.rotationComplete);

      for (const channel of ['C0ANNOUNCE', 'C0CHECKOUT']) {
        const [announcement] = await waitForPosts(h, channel);
        const text = textOf({ blocks: announcement!.args.blocks as unknown[] });
        expect(text).toContain(`get-secret-value --secret-id ${SECRET} --version-stage AWSCURRENT`);
        expect(text).toContain('*In eu-west-1* (`billing-api`): read the replica there');
        expect(text).toContain(
          `get-secret-value --secret-id ${SECRET} --region eu-west-1 --version-stage AWSCURRENT --query SecretString --output text`,
        );
        expect(text).not.toContain('us-east-1');
      }
    });

    it('fails verify naming the replica region that cannot be read, and records nothing', async () => {
      await moto.sdk.send(new CreateSecretCommand({ Name: SECRET, SecretString: value(), AddReplicaRegions: [{ Region: 'eu-west-1' }] }));
      // moto keeps a replica in step with its primary at once and refuses writes to it, so it cannot
      // be made to lag behind a new version; a replica region that does not answer is what verify meets here
      // (the preflight reads only the primary).
      const unreachable = `http://127.0.0.1:${await freePort()}`;
      harness = await start({ replicaEndpointFor: (region) => (region === 'eu-west-1' ? unreachable : undefined) });
      const h = harness;
      const { viewId } = await slashRotate(h, 'U0OWNER', SECRET);
      const id = viewId as string;
      await submitTicket(h, 'U0OWNER', id, 'SEC-9');
      const rotationId = metadataOf(modal(h, id)).rotationId as number;
      for (const lead of ['U0SEC', 'U0OPS'])
        await clickInMessage(h, lead, (await waitForDms(h, lead, /^Approval requested/))[0]!, ACTION_IDS.rotationApprove);
      await driveModal(h, 'U0OWNER', id, 'verify');
      const before = snapshotTables(h.store, ['secrets']);
      await press(h, 'U0OWNER', id, ACTION_IDS.rotationRunStep);
      expect(textOf(modal(h, id))).toMatch(/has not reached every replica: eu-west-1 could not be read/);
      expect(rotationRecord(h, rotationId).rotation.verifiedAt).toBeNull();
      expect(snapshotTables(h.store, ['secrets'])).toEqual(before);
    });

    it('refuses a replica that is not in sync by its region, changing nothing; rotor sync reports it', async () => {
      await ireland().send(new CreateSecretCommand({ Name: SECRET, SecretString: value() }));
      await moto.sdk.send(new CreateSecretCommand({ Name: SECRET, SecretString: value(), AddReplicaRegions: [{ Region: 'eu-west-1' }] }));
      harness = await start();
      const h = harness;
      const before = snapshotTables(h.store, ['rotations', 'secrets', 'audit_events']);
      const { viewId } = await slashRotate(h, 'U0OWNER', SECRET);
      const id = viewId as string;
      expect(textOf(modal(h, id))).toContain('A replica is not in sync, so it would not get the new version: eu-west-1 is Failed');
      await submitTicket(h, 'U0OWNER', id, 'SEC-9');
      expect(snapshotTables(h.store, ['rotations', 'secrets', 'audit_events'])).toEqual(before);

      const synced = await rotorCli(h, 'sync', '--dry-run');
      expect(synced.stdout).toContain(`${SECRET}: its replica in eu-west-1 is Failed`);
    });
  },
);
