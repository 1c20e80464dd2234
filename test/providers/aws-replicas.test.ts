import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import { AwsReplicaChecker } from '../../src/providers/aws/aws-replicas.js';
import { awsSecretsManagerStore } from '../../src/providers/aws/aws-store.js';
import type { RetryPolicy } from '../../src/providers/call-with-retry.js';
import { missingReplicaRegions } from '../../src/providers/replica-regions.js';
import type { ProviderTarget, SecretDescription } from '../../src/providers/secret-provider.js';
import type { StoreFinding } from '../../src/providers/store-kind.js';
import { PreflightBlockedError } from '../../src/rotation/rotation-errors.js';
import { freePort, shouldRunMotoSuite, useMoto } from '../support/moto.js';

const FAST: RetryPolicy = { attempts: 2, timeoutMs: 2_000, baseDelayMs: 1, maxDelayMs: 5 };
const target: ProviderTarget = { secretName: 'prod/app/db', providerRef: 'prod/app/db' };
const value = () => `v-${Math.random().toString(36).slice(2)}`;

/** The replica finding of the AWS store kind's preflight, the one a rotation's start runs (rotation-preflight.ts). */
function replicaFinding(description: SecretDescription): StoreFinding | undefined {
  return awsSecretsManagerStore
    .preflight(description, { secretName: target.secretName, ref: target.providerRef, retentionHours: 24 })
    .find((finding) => finding.check === 'replicas');
}

describe('missingReplicaRegions', () => {
  it('lists the required regions the secret is in neither as primary nor as replica', () => {
    const replicas = [{ region: 'eu-west-1', status: 'InSync', message: null }];
    expect(missingReplicaRegions(['us-east-1', 'eu-west-1', 'ap-southeast-2', 'eu-west-1'], 'us-east-1', replicas)).toEqual([
      'ap-southeast-2',
    ]);
    expect(missingReplicaRegions([], 'us-east-1', [])).toEqual([]);
  });
});

describe.runIf(shouldRunMotoSuite('the AWS replicated secrets suite'))('replicated AWS secrets against moto_server', () => {
  const moto = useMoto();
  const opened: { destroy(): void }[] = [];
  const open = <T extends { destroy(): void }>(made: T): T => {
    opened.push(made);
    return made;
  };
  afterEach(() => {
    for (const made of opened.splice(0)) made.destroy();
  });

  it("verifies a rotated two-region secret in both regions and gives the consumer region's retrieval line", async () => {
    await moto.sdk.send(
      new CreateSecretCommand({ Name: 'prod/app/db', SecretString: value(), AddReplicaRegions: [{ Region: 'eu-west-1' }] }),
    );
    const checker = open(new AwsReplicaChecker({ retry: FAST }));
    const provider = open(new AwsSecretsManagerProvider({ retry: FAST }));
    const described = await provider.describe(target);
    expect(described.replicas).toEqual([{ region: 'eu-west-1', status: 'InSync', message: 'Replication succeeded' }]);
    expect(replicaFinding(described)).toEqual({
      check: 'replicas',
      status: 'ok',
      message: 'Replicated to eu-west-1, all in sync: verify reads the new version in each of them.',
    });

    const before = described.current?.versionId as string;
    const created = await provider.createVersion(target, { expectedCurrentVersionId: before });
    await provider.promote(target, { newVersionId: created.versionId, expectedCurrentVersionId: before });

    expect(await checker.verifyReplicas(target, { versionId: created.versionId, fingerprint: created.fingerprint })).toEqual([
      { region: 'eu-west-1', versionId: created.versionId, sameValue: true },
    ]);
    await expect(checker.verifyReplicas(target, { versionId: before, fingerprint: null })).rejects.toThrow(
      `eu-west-1 still serves version ${created.versionId}, not ${before}`,
    );
    // The line a consumer in the replica's region is given (the store kind's, which the announcement uses).
    expect(
      awsSecretsManagerStore.commands.retrieveIn?.(
        target.secretName,
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/app/db-AbCdEf',
        'eu-west-1',
      ),
    ).toBe(
      'aws secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/db-AbCdEf --region eu-west-1 --version-stage AWSCURRENT --query SecretString --output text',
    );
  });

  it('refuses a replica that is not InSync by name before a rotation, and fails verification naming the region that lags', async () => {
    // moto marks a replica Failed when its region already holds a secret of that name, which then keeps serving its own value.
    const ireland = open(new SecretsManagerClient({ region: 'eu-west-1' }));
    await ireland.send(new CreateSecretCommand({ Name: 'prod/app/db', SecretString: value() }));
    const created = await moto.sdk.send(
      new CreateSecretCommand({ Name: 'prod/app/db', SecretString: value(), AddReplicaRegions: [{ Region: 'eu-west-1' }] }),
    );

    const checker = open(new AwsReplicaChecker({ retry: FAST }));
    const provider = open(new AwsSecretsManagerProvider({ retry: FAST }));
    const finding = replicaFinding(await provider.describe(target));
    expect(finding).toMatchObject({ check: 'replicas', status: 'blocking' });
    // As the rotation's start refuses it: the store kind's finding, in the preflight's refusal.
    expect(new PreflightBlockedError(target.secretName, [finding as StoreFinding])).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(
        'prod/app/db cannot be rotated yet: A replica is not in sync, so it would not get the new version: eu-west-1 is Failed',
      ),
    });
    await expect(checker.verifyReplicas(target, { versionId: created.VersionId as string, fingerprint: null })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/has not reached every replica: eu-west-1 still serves version \S+, not /),
    });
  });

  it('names a replica region that cannot be reached', async () => {
    await moto.sdk.send(
      new CreateSecretCommand({
        Name: 'prod/app/db',
        SecretString: value(),
        AddReplicaRegions: [{ Region: 'eu-west-1' }, { Region: 'eu-central-1' }],
      }),
    );
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const checker = open(
      new AwsReplicaChecker({ retry: FAST, endpointFor: (region) => (region === 'eu-central-1' ? unreachable : undefined) }),
    );
    const provider = open(new AwsSecretsManagerProvider({ retry: FAST }));
    const versionId = (await provider.describe(target)).current?.versionId as string;
    await expect(checker.verifyReplicas(target, { versionId, fingerprint: null })).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: expect.stringMatching(/eu-central-1 could not be read \(.*cannot be reached/),
    });
  });
});
