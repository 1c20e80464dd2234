import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/project-root.js';
import { rotor } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';

// Copies of the playbooks' tables (../shared/playbooks), so a clone anywhere runs this test.
const playbooks = join(projectRoot, 'test', 'fixtures', 'playbooks');

describe('importing the Markdown tables teams already keep', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  it('imports the secrets index: ten named secrets, all due now (never rotated)', async () => {
    const result = await rotor(store.path, 'import', join(playbooks, 'secrets-index-ownership.md'));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const listed = JSON.parse((await rotor(store.path, 'list', '--json')).stdout) as { name: string; type: string; owner: string | null }[];
    expect(listed.map((secret) => secret.name).sort()).toEqual(
      [
        'prod/openai/api_key',
        'prod/postgres/connection_string',
        'prod/redis/password',
        'prod/stripe/secret_key',
        'prod/jwt/signing_key',
        'staging/openai/api_key',
        'staging/postgres/connection_string',
        'staging/redis/password',
        'dev/openai/api_key',
        'dev/postgres/connection_string',
      ].sort(),
    );
    expect(listed.find((secret) => secret.name === 'prod/jwt/signing_key')).toMatchObject({ type: 'jwt', owner: null });
    const overdue = JSON.parse((await rotor(store.path, 'overdue', '--json')).stdout) as {
      name: string;
      never_rotated: boolean;
      status: string;
    }[];
    expect(overdue).toHaveLength(10);
    expect(overdue.every((secret) => secret.never_rotated && secret.status === 'overdue')).toBe(true);
  });

  it("expands the registry onto a policy's own environment names, and reports columns the policy lacks", async () => {
    const config = join(store.dir, 'policy.yml');
    writeFileSync(config, 'environments: [production, stage]\n');
    const registry = join(playbooks, 'secrets-registry-policy.md');
    const before = snapshotTables(store);
    const strict = await rotor(store.path, '--config', config, 'import', registry);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/`dev` is not a known environment; use one of: production, stage/);
    expect(snapshotTables(store)).toEqual(before);
    const partial = await rotor(store.path, '--config', config, 'import', '--partial', registry);
    expect(partial.code).toBe(0);
    const listed = JSON.parse((await rotor(store.path, '--config', config, 'list', '--json')).stdout) as { name: string }[];
    const names = listed.map((secret) => secret.name);
    expect(names).toContain('production/db/app-primary');
    expect(names).toContain('stage/db/app-primary');
    expect(names.filter((name) => name.startsWith('production/'))).toHaveLength(10);
  });

  it('expands the registry over its environment matrix with the registry cadences', async () => {
    const result = await rotor(store.path, 'import', join(playbooks, 'secrets-registry-policy.md'));
    expect(result.code).toBe(0);
    const listed = JSON.parse((await rotor(store.path, 'list', '--json')).stdout) as {
      name: string;
      interval_days: number;
      consumers: string[];
      tags: Record<string, string>;
    }[];
    const byName = new Map(listed.map((secret) => [secret.name, secret]));
    expect(byName.get('prod/db/app-primary')).toMatchObject({ interval_days: 30, consumers: ['Backend', 'Celery'] });
    expect(byName.get('dev/db/app-primary')?.tags.environment_note).toBe('lower privileges, sample data');
    expect(byName.get('prod/jwt/signing')).toMatchObject({ interval_days: 90, tags: { cadence_note: 'dual-publish' } });
    expect(byName.get('staging/crypto/webhook')?.interval_days).toBe(180);
    expect(byName.get('prod/observability/datadog')?.interval_days).toBe(120);
    // "payments/*" in the matrix covers both payment keys; "optional" cells add nothing.
    expect(['dev', 'staging', 'prod'].every((env) => byName.has(`${env}/payments/paypal`))).toBe(true);
    expect(byName.has('dev/db/reporting-ro')).toBe(false);
    expect(byName.has('dev/crypto/webhook')).toBe(false);
    expect(listed).toHaveLength(28);
  });

  it('changes nothing when the same file is imported again', async () => {
    await rotor(store.path, 'import', join(playbooks, 'secrets-registry-policy.md'));
    const before = snapshotTables(store);
    store.clock.advance({ days: 3 });
    const again = await rotor(store.path, 'import', join(playbooks, 'secrets-registry-policy.md'));
    expect(again.stdout).toMatch(/^Added 0, changed 0, left 28 unchanged\./);
    expect(snapshotTables(store)).toEqual(before);
  });
});
