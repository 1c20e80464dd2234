import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../../src/providers/aws/aws-secrets-manager-provider.js';
import { operator } from '../../support/actors.js';
import { shouldRunMotoSuite, useMoto } from '../../support/moto.js';
import { FAST_RETRY, ROTATION_POLICY, startRotationHarness } from '../../support/rotation-slack.js';
import { responseIdOf, type SlackHarness } from '../../support/slack-app-harness.js';
import { snapshotTables } from '../../support/temp-db.js';

/**
 * Issue 22 item 4: the policy requires prod secrets in us-east-1 (moto's primary region here) and
 * eu-west-1. `/secrets review`, through a signed slash command, reads each AWS secret's replicas
 * from moto and lists the prod secret that misses eu-west-1, not the one replicated there; a
 * manual secret is counted as not checked, a reference AWS cannot find is listed as not read, and
 * staging, which the policy does not name, is left alone. No value appears and nothing is written.
 */

const value = () => randomBytes(16).toString('hex');
const POLICY = `${ROTATION_POLICY}replication:\n  required_regions:\n    prod: [us-east-1, eu-west-1]\n`;

describe.runIf(shouldRunMotoSuite('/secrets review of required replica regions'))(
  '/secrets review and required replica regions, against moto',
  () => {
    const moto = useMoto();
    let harness: SlackHarness | undefined;
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    it('lists the prod secret missing a required region and not the one replicated there', async () => {
      const values = [value(), value(), value()];
      await moto.sdk.send(
        new CreateSecretCommand({ Name: 'prod/app/webhook', SecretString: values[0], AddReplicaRegions: [{ Region: 'eu-west-1' }] }),
      );
      await moto.sdk.send(new CreateSecretCommand({ Name: 'prod/app/token', SecretString: values[1] }));
      await moto.sdk.send(new CreateSecretCommand({ Name: 'staging/app/token', SecretString: values[2] }));
      const seeded: [string, string, string | null][] = [
        ['prod/app/webhook', 'aws', 'prod/app/webhook'],
        ['prod/app/token', 'aws', 'prod/app/token'],
        ['prod/app/gone', 'aws', 'prod/app/gone'],
        ['prod/app/manual_key', 'manual', null],
        ['staging/app/token', 'aws', 'staging/app/token'],
      ];
      harness = await startRotationHarness({
        aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
        policy: POLICY,
        seed: (store) => {
          for (const [name, provider, providerRef] of seeded)
            store.inventoryService.create(
              {
                name,
                type: 'api_key',
                owner: 'U0OWNER',
                provider,
                ...(providerRef ? { providerRef } : {}),
                lastRotated: store.clock.now().minus({ days: 10 }).toISODate() as string,
              },
              operator(),
              'test',
            );
        },
      });
      const h = harness;
      const before = snapshotTables(h.store, ['secrets', 'audit_events']);

      const reply = await h.command('/secrets', 'review', 'U0SEC');
      expect(reply.status).toBe(200);
      const id = responseIdOf(reply.responseUrl);
      const message = (await h.fake.waitForResponse((response) => response.id === id)).body;
      const text = JSON.stringify(message.blocks);
      const blocks = message.blocks as { text?: { text: string }; elements?: { text: string }[] }[];
      const section = (title: string) => blocks.find((block) => block.text?.text.startsWith(`*${title}`))?.text?.text;

      // The prod secret without a copy in eu-west-1 is listed with what it misses; the replicated one and staging are not.
      expect(section('Not replicated to every required region')).toBe(
        '*Not replicated to every required region* (1)\n`prod/app/token` (prod): missing `eu-west-1`',
      );
      expect(section('Replicas not read this time')).toMatch(
        /^\*Replicas not read this time\* \(1\)\n`prod\/app\/gone`: .*does not exist in AWS Secrets Manager/,
      );
      const notes = blocks.flatMap((block) => block.elements ?? []).map((element) => element.text);
      expect(notes).toContain('1 in every required region · 1 in a store that does not replicate, not checked: `prod/app/manual_key`');
      for (const secretValue of values) expect(text).not.toContain(secretValue);
      expect(snapshotTables(h.store, ['secrets', 'audit_events'])).toEqual(before);
    });

    it('lists a secret whose replica in a required region is Failed as not in sync, with its status, not as in every required region', async () => {
      // moto marks a replica Failed when its region already holds a secret of that name.
      const ireland = new SecretsManagerClient({ region: 'eu-west-1' });
      await ireland.send(new CreateSecretCommand({ Name: 'prod/app/broken', SecretString: value() }));
      ireland.destroy();
      await moto.sdk.send(
        new CreateSecretCommand({ Name: 'prod/app/broken', SecretString: value(), AddReplicaRegions: [{ Region: 'eu-west-1' }] }),
      );
      harness = await startRotationHarness({
        aws: () => new AwsSecretsManagerProvider({ retry: FAST_RETRY, endpoint: moto.endpoint }),
        policy: POLICY,
        seed: (store) =>
          store.inventoryService.create(
            {
              name: 'prod/app/broken',
              type: 'api_key',
              owner: 'U0OWNER',
              provider: 'aws',
              providerRef: 'prod/app/broken',
              lastRotated: store.clock.now().minus({ days: 10 }).toISODate() as string,
            },
            operator(),
            'test',
          ),
      });
      const h = harness;
      const reply = await h.command('/secrets', 'review', 'U0SEC');
      const id = responseIdOf(reply.responseUrl);
      const message = (await h.fake.waitForResponse((response) => response.id === id)).body;
      const blocks = message.blocks as { text?: { text: string }; elements?: { text: string }[] }[];
      expect(blocks.find((block) => block.text?.text.startsWith('*Not replicated to every required region'))?.text?.text).toBe(
        '*Not replicated to every required region* (1)\n`prod/app/broken` (prod): `eu-west-1` not in sync (Failed)',
      );
      expect(blocks.flatMap((block) => block.elements ?? []).map((element) => element.text)).toContain('0 in every required region');
    });
  },
);
