import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, loadPolicy, parsePolicy } from '../../src/config/policy.js';
import { ValidationError } from '../../src/core/errors.js';
import { runRotor } from '../support/cli.js';
import { openTempStore, snapshotTables } from '../support/temp-db.js';

/** Issue 22 item 4: the policy's `replication` (required replica regions per environment, each consumer's region). */

function issuesOf(text: string) {
  try {
    parsePolicy(text, 'test.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected the policy to be refused');
}

describe('the policy key replication', () => {
  it('requires nothing by default, and reads regions per environment and per consumer; the example sets them', () => {
    expect(defaultPolicy.replication).toEqual({ requiredRegions: {}, consumerRegions: {} });
    const policy = parsePolicy(
      'replication:\n  required_regions:\n    prod: [eu-west-1, us-east-1]\n  consumer_regions:\n    billing-api: eu-west-1\n',
    );
    expect(policy.replication).toEqual({
      requiredRegions: { prod: ['eu-west-1', 'us-east-1'] },
      consumerRegions: { 'billing-api': 'eu-west-1' },
    });
    expect(loadPolicy('examples/policy.yml').replication.requiredRegions['prod']).toEqual(expect.arrayContaining(['eu-west-1']));
  });

  it('refuses a region that is not an AWS region, naming the key and its line', () => {
    const [issue] = issuesOf('environments: [prod]\nreplication:\n  required_regions:\n    prod: [eu-west-1, Ireland]\n');
    expect(issue).toMatchObject({
      where: 'replication.required_regions.prod.1 (line 4)',
      message: 'must be an AWS region such as eu-west-1',
    });
    const [consumer] = issuesOf('replication:\n  consumer_regions:\n    billing-api: eu_west_1\n');
    expect(consumer).toMatchObject({
      where: 'replication.consumer_regions.billing-api (line 3)',
      message: 'must be an AWS region such as eu-west-1',
    });
  });

  it('refuses an environment the policy does not have, naming it and the environments there are', () => {
    const [issue] = issuesOf('environments: [prod, staging]\nreplication:\n  required_regions:\n    production: [eu-west-1]\n');
    expect(issue).toMatchObject({
      where: 'replication.required_regions.production (line 4)',
      message: 'is not one of the environments (prod, staging)',
    });
  });

  it('refuses an empty list, a repeated region and an unknown key', () => {
    expect(issuesOf('replication:\n  required_regions:\n    prod: []\n')[0]?.message).toContain('at least one region');
    expect(issuesOf('replication:\n  required_regions:\n    prod: [eu-west-1, eu-west-1]\n')[0]?.message).toBe(
      'must not name a region twice',
    );
    expect(issuesOf('replication:\n  regions: [eu-west-1]\n')[0]).toMatchObject({ where: expect.stringContaining('replication') });
  });

  it('stops the CLI at start-up with that message (exit 2), touching nothing', async () => {
    const store = openTempStore();
    const dir = mkdtempSync(join(tmpdir(), 'rotor-replication-policy-'));
    try {
      const before = snapshotTables(store, ['secrets', 'audit_events']);
      const policy = join(dir, 'policy.yml');
      writeFileSync(policy, 'replication:\n  required_regions:\n    prod: [mars-north-9x]\n');
      const bad = await runRotor(['--db', store.path, '--config', policy, 'list']);
      expect(bad).toMatchObject({ code: 2, stdout: '' });
      expect(bad.stderr).toContain('replication.required_regions.prod.0');
      expect(bad.stderr).toContain('must be an AWS region such as eu-west-1');
      expect(snapshotTables(store, ['secrets', 'audit_events'])).toEqual(before);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
