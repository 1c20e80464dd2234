import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rotor } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';

const INVENTORY = `secrets:
  - name: prod/postgres/connection_string
    type: database
    description: "App user, see <runbook>, & more"
    owner: U0123ABCD
    backup_owner: U0456EFGH
    team: platform
    consumers: [backend, "celery, workers"]
    provider: aws
    provider_ref: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/postgres-AbCdEf
    interval_days: 30
    last_rotated: 2026-10-15T08:00:00Z
    retrieval_instructions: "Read it from Secrets Manager"
    tags: { tier: "1", note: "a=b, c" }
    checklist: [create_version, update_staging]
  - name: staging/redis/password
    provider: vault
    provider_ref: secret/redis/staging
  - name: dev/jwt/signing_key
    status: retired
`;

describe('export', () => {
  let source: TempStore;
  let target: TempStore;
  beforeEach(() => {
    source = openTempStore({ at: '2026-11-22T10:00:00Z' });
    target = openTempStore({ at: '2026-12-05T10:00:00Z' });
  });
  afterEach(() => {
    source.close();
    target.close();
  });

  it.each(['yaml', 'json', 'csv'] as const)('round-trips through %s into an identical inventory', async (format) => {
    const input = join(source.dir, 'inventory.yaml');
    writeFileSync(input, INVENTORY);
    expect((await rotor(source.path, 'import', input)).code).toBe(0);
    const exported = await rotor(source.path, 'export', '--format', format);
    expect(exported.code).toBe(0);
    const file = join(target.dir, `inventory.${format}`);
    writeFileSync(file, exported.stdout);
    const imported = await rotor(target.path, 'import', file);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toMatch(/^Added 3, changed 0, left 0 unchanged\./);
    expect((await rotor(target.path, 'export', '--format', format)).stdout).toBe(exported.stdout);
    const before = snapshotTables(target);
    expect((await rotor(target.path, 'import', file)).stdout).toMatch(/^Added 0, changed 0, left 3 unchanged\./);
    expect(snapshotTables(target)).toEqual(before);
  });
});
