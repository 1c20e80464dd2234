import { describe, expect, it } from 'vitest';
import { BUILT_IN_STORES } from '../../../src/providers/store-catalog.js';
import { replicaRetrievals, verifiedReplicaRegions } from '../../../src/slack/views/rotation/retrieval-instructions.js';

/** Issue 22 item 4: which consumers of a replicated secret are told to read the replica in their region, and with what line. */

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/app/db-AbCdEf';
const regions = { 'billing-api': 'eu-west-1', search: 'eu-west-1', ledger: 'us-east-1', reports: 'ap-southeast-2' };
const secret = { name: 'prod/app/db', providerRef: ARN, consumers: ['search', 'billing-api', 'ledger', 'reports', 'checkout'] };

describe('the retrieval line for a consumer in a replica region', () => {
  it("groups the consumers of each verified replica region and gives the replica's ARN with --region", () => {
    expect(replicaRetrievals(secret, BUILT_IN_STORES.of('aws'), ['eu-west-1'], regions)).toEqual([
      {
        region: 'eu-west-1',
        consumers: ['search', 'billing-api'],
        command:
          'aws secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app/db-AbCdEf --region eu-west-1 --version-stage AWSCURRENT --query SecretString --output text',
      },
    ]);
  });

  it('offers nothing for a region verify did not read, a consumer without a region, or a store that does not replicate', () => {
    expect(replicaRetrievals(secret, BUILT_IN_STORES.of('aws'), [], regions)).toEqual([]);
    expect(replicaRetrievals({ ...secret, consumers: ['checkout'] }, BUILT_IN_STORES.of('aws'), ['eu-west-1'], regions)).toEqual([]);
    expect(
      replicaRetrievals({ ...secret, providerRef: 'secret/prod/app/db' }, BUILT_IN_STORES.of('vault'), ['eu-west-1'], regions),
    ).toEqual([]);
  });

  it("reads the regions from the verify step's replicasVerified check", () => {
    const verify = (result: Record<string, unknown> | null) => [{ action: 'verify' as const, result }];
    expect(verifiedReplicaRegions(verify({ checks: { replicasVerified: 'ap-southeast-2, eu-west-1' } }))).toEqual([
      'ap-southeast-2',
      'eu-west-1',
    ]);
    expect(verifiedReplicaRegions(verify({ versionId: 'v2' }))).toEqual([]);
    expect(verifiedReplicaRegions(verify(null))).toEqual([]);
    expect(verifiedReplicaRegions([])).toEqual([]);
  });
});
