import { CreateSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DateTime } from 'luxon';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsSecretsManagerProvider } from '../../src/providers/aws/aws-secrets-manager-provider.js';
import type { RetryPolicy } from '../../src/providers/call-with-retry.js';
import { asAwsTags, asGoogleLabels, provenanceTags } from '../../src/providers/provenance-tags.js';
import { VaultKv2Provider } from '../../src/providers/vault/vault-kv2-provider.js';
import { shouldRunMotoSuite, useMoto } from '../support/moto.js';
import { useFakeVault } from '../support/vault.js';

const FAST: RetryPolicy = { attempts: 2, timeoutMs: 2_000, baseDelayMs: 1, maxDelayMs: 5 };

describe('provenanceTags', () => {
  const completedAt = DateTime.utc().startOf('day').plus({ hours: 23, minutes: 30 });

  it("gives the rotation's UTC date as YYYYMMDD and who rotated it, under the default or the policy's keys", () => {
    expect(provenanceTags({ completedAt, rotatedBy: ' U0123ABCD ' })).toEqual({
      version: completedAt.toFormat('yyyyLLdd'),
      rotated_by: 'U0123ABCD',
    });
    const inAuckland = completedAt.setZone('Pacific/Auckland');
    expect(
      provenanceTags({ completedAt: inAuckland, rotatedBy: 'ada', keys: { version: 'rotor:version', rotatedBy: 'rotor:rotated-by' } }),
    ).toEqual({
      'rotor:version': completedAt.toFormat('yyyyLLdd'),
      'rotor:rotated-by': 'ada',
    });
  });

  it('cleans the tags for AWS and for Google labels', () => {
    expect(asAwsTags({ rotated_by: "Ada O'Brien 🚀", version: 'x'.repeat(300) })).toEqual({
      rotated_by: 'Ada O_Brien _',
      version: 'x'.repeat(256),
    });
    expect(asGoogleLabels({ rotated_by: 'Ada Lovelace', version: 'U0123ABCD', '1st': 'ok' })).toEqual({
      rotated_by: 'ada_lovelace',
      version: 'u0123abcd',
      r1st: 'ok',
    });
  });
});

describe.runIf(shouldRunMotoSuite('the AWS provenance tags suite'))('tagging an AWS secret against moto_server', () => {
  const moto = useMoto();

  it('adds version and rotated_by to the secret, keeping its other tags', async () => {
    await moto.sdk.send(
      new CreateSecretCommand({
        Name: 'prod/app/db',
        SecretString: `v-${Math.random()}`,
        Tags: [{ Key: 'rotor:owner', Value: 'U0123ABCD' }],
      }),
    );
    const provider = new AwsSecretsManagerProvider({ retry: FAST });
    try {
      const tags = provenanceTags({ completedAt: DateTime.utc(), rotatedBy: 'U0456EFGH' });
      await provider.tagSecret({ secretName: 'prod/app/db', providerRef: 'prod/app/db' }, asAwsTags(tags));
      const described = await moto.sdk.send(new DescribeSecretCommand({ SecretId: 'prod/app/db' }));
      expect(Object.fromEntries((described.Tags ?? []).map((tag) => [tag.Key, tag.Value]))).toEqual({
        'rotor:owner': 'U0123ABCD',
        ...tags,
      });
      await expect(provider.tagSecret({ secretName: 'prod/app/gone', providerRef: 'prod/app/gone' }, tags)).rejects.toMatchObject({
        code: 'not_found',
      });
    } finally {
      provider.destroy();
    }
  });
});

describe('writing Vault custom_metadata against the fake Vault', () => {
  const { fake, token } = useFakeVault();
  let provider: VaultKv2Provider;

  beforeEach(() => {
    provider = new VaultKv2Provider({ endpoint: fake.address, token, retry: FAST });
  });

  it('merges the entries into the custom_metadata map it read (the endpoint replaces the map) and writes nothing when they are there', async () => {
    fake.putSecret('secret', 'prod/app/db', { value: `v-${Math.random()}` }, { owner: 'U0123ABCD', version: 'old' });
    const target = { secretName: 'prod/app/db', providerRef: 'secret/prod/app/db' };
    const tags = provenanceTags({ completedAt: DateTime.utc(), rotatedBy: 'U0456EFGH' });
    await provider.writeCustomMetadata(target, tags);
    expect((await provider.describe(target)).tags).toEqual({ owner: 'U0123ABCD', ...tags });
    const writes = () => fake.requests.filter((request) => request.method === 'POST' || request.method === 'PUT');
    expect(writes().map((request) => request.path)).toEqual(['/v1/secret/metadata/prod/app/db']);
    await provider.writeCustomMetadata(target, tags);
    expect(writes()).toHaveLength(1);
  });
});
