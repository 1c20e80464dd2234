import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { slackActor } from '../../src/access/actor.js';
import { parsePolicy } from '../../src/config/policy.js';
import { RotorError } from '../../src/core/errors.js';
import { ReferenceChecker } from '../../src/inventory/reference-check.js';
import { REFERENCE_FOLLOW_UPS } from '../../src/inventory/reference-follow-ups.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import type { SecretProvider } from '../../src/providers/secret-provider.js';
import { RotationRepo } from '../../src/rotation/rotation-repo.js';
import { operator } from '../support/actors.js';
import { runRotor } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';

const POLICY = `
roles:
  admins: [U0ADMIN]
  security_leads: [U0SEC, U0SEC2]
reference_scope:
  aws_accounts: ['111122223333']
  aws_regions: [eu-west-1]
  vault_mounts: [secret]
`;
const NAME = 'prod/app/db';

/** The rows a refused move must leave as they were. */
const TABLES = ['secrets', 'reference_change_requests', 'follow_ups'];

describe('moving a secret to another store secret, outside Slack', () => {
  let store: TempStore;
  let policyPath: string;
  beforeEach(() => {
    store = openTempStore({ policy: parsePolicy(POLICY) });
    policyPath = join(store.dir, 'policy.yml');
    writeFileSync(policyPath, POLICY);
    store.inventoryService.create(
      { name: NAME, owner: 'U0OWNER', provider: 'aws', providerRef: 'eu-west-1:prod/app/db' },
      operator(),
      'test',
    );
  });
  afterEach(() => store.close());

  const importFile = async (lines: string[]) => {
    const file = join(store.dir, 'moves.yaml');
    writeFileSync(file, lines.join('\n'));
    return runRotor(['--db', store.path, '--config', policyPath, 'import', file]);
  };

  it('a re-import that moves a reference is audited with old and new, and every security lead is told by a follow-up', async () => {
    expect(await importFile(['- {name: prod/app/db, provider_ref: "eu-west-1:prod/app/db-v2"}'])).toMatchObject({ code: 0 });
    const event = store.db.prepare(`SELECT actor, details FROM audit_events WHERE action = 'secret.reference_changed'`).get() as {
      actor: string;
      details: string;
    };
    expect(event.actor).toMatch(/^cli:/);
    expect(JSON.parse(event.details)).toMatchObject({
      from: { provider: 'aws', providerRef: 'eu-west-1:prod/app/db' },
      to: { provider: 'aws', providerRef: 'eu-west-1:prod/app/db-v2' },
      storeCheck: null,
    });
    const told = store.db
      .prepare(`SELECT json_extract(payload, '$.user') FROM follow_ups WHERE kind = ? ORDER BY 1`)
      .pluck()
      .all(REFERENCE_FOLLOW_UPS.changed);
    expect(told).toEqual(['U0SEC', 'U0SEC2']);
    // The version Rotor knew belonged to the other store secret.
    expect(store.inventory.get(NAME)).toMatchObject({
      providerRef: 'eu-west-1:prod/app/db-v2',
      currentVersionId: null,
      currentFingerprint: null,
    });
  });

  it('a re-import that moves a reference while a rotation is open is refused by line; nothing changes', async () => {
    const secret = store.inventory.get(NAME)!;
    new RotationRepo(store.db).insert(
      {
        secretId: secret.id,
        secretName: NAME,
        kind: 'scheduled',
        state: 'in_progress',
        ticket: 'SEC-1',
        environment: 'prod',
        provider: 'aws',
        providerRef: secret.providerRef,
        requiredApprovals: [],
        checklistSource: { kind: 'type', type: 'generic' } as never,
        preflight: [],
        startedBy: 'U0OWNER',
        startedAt: '2026-11-22T09:00:00.000Z',
        previousVersionId: null,
        previousFingerprint: null,
        previousLastRotated: null,
        previousNextRotation: secret.nextRotation,
        previousLifecycle: 'active',
      },
      [],
    );
    const before = snapshotTables(store, TABLES);
    const result = await importFile(['- {name: prod/app/db, provider_ref: "eu-west-1:prod/app/db-v2"}']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('line 1, provider_ref: `prod/app/db` is being rotated (rotation #1, in progress, held by U0OWNER)');
    expect(snapshotTables(store, TABLES)).toEqual(before);
  });

  it("a move asked by a person without the store's check never reaches the inventory, even for an admin", () => {
    const before = snapshotTables(store, TABLES);
    expect(() => store.inventoryService.update(NAME, { providerRef: 'eu-west-1:prod/app/db-v2' }, slackActor('U0ADMIN'), 'slack')).toThrow(
      RotorError,
    );
    expect(() => store.inventoryService.update(NAME, { providerRef: 'eu-west-1:prod/app/db-v2' }, slackActor('U0OWNER'), 'slack')).toThrow(
      /You may not change the provider or reference of `prod\/app\/db`/,
    );
    expect(snapshotTables(store, TABLES)).toEqual(before);
  });

  it("the store check refuses a reference outside the policy's reference_scope, naming where it lies", async () => {
    const arnOf = (region: string, account: string) => `arn:aws:secretsmanager:${region}:${account}:secret:prod/app/db-v2-AbCdEf`;
    let location = arnOf('eu-west-1', '111122223333');
    const aws = {
      kind: 'aws',
      validateReference: () => Promise.resolve(),
      describe: () =>
        Promise.resolve({
          current: null,
          others: [],
          lastRotatedAt: null,
          lastChangedAt: null,
          tags: {},
          location,
          rotationConfigured: false,
          limits: { maxVersions: null, deleteVersionAfterSeconds: null },
        }),
      readCurrent: () => Promise.resolve({ versionId: 'v1', fingerprint: 'sha256:0' }),
    } as unknown as SecretProvider;
    const vault = { ...aws, kind: 'vault' } as unknown as SecretProvider;
    const checker = new ReferenceChecker({ registry: createProviderRegistry({ aws, vault }), policy: store.policy });
    const check = () => checker.check({ name: NAME, provider: 'aws', providerRef: 'prod/app/db-v2' });
    await expect(check()).resolves.toMatchObject({ versionId: 'v1', location });
    location = arnOf('us-east-1', '111122223333');
    await expect(check()).rejects.toThrow(
      "`prod/app/db-v2` is in the AWS region us-east-1, outside what the policy's reference_scope allows. Nothing was saved.",
    );
    location = arnOf('eu-west-1', '444455556666');
    await expect(check()).rejects.toThrow('is in the AWS account 444455556666');
    await expect(checker.check({ name: NAME, provider: 'vault', providerRef: 'team/kv:prod/app/db' })).rejects.toThrow(
      '`team/kv:prod/app/db` is in the Vault mount team/kv, outside',
    );
    await expect(checker.check({ name: NAME, provider: 'vault', providerRef: 'secret/prod/app/db' })).resolves.toMatchObject({
      provider: 'vault',
    });
  });
});
