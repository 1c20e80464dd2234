import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { BUILT_IN_STORES } from '../../src/providers/store-catalog.js';
import { sameStoreSecret as sameIn, storeKeyOf as keyIn } from '../../src/providers/store-key.js';

const storeKeyOf = (provider: string, ref: string | null) => keyIn(BUILT_IN_STORES, provider, ref);
const sameStoreSecret: (a: ReturnType<typeof keyIn> & object, b: ReturnType<typeof keyIn> & object) => boolean = (a, b) =>
  sameIn(BUILT_IN_STORES, a, b);
import { rotor } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/app/db-AbCdEf';

describe('provider references in canonical form', () => {
  it('an ARN, region:name and name name the same AWS secret when region and name agree; Vault by mount and path', () => {
    const same = (a: ['aws' | 'vault', string], b: ['aws' | 'vault', string]) => sameStoreSecret(storeKeyOf(...a)!, storeKeyOf(...b)!);
    expect(storeKeyOf('aws', ARN)).toEqual({ provider: 'aws', scope: 'us-east-1', name: 'prod/app/db' });
    expect(same(['aws', ARN], ['aws', 'us-east-1:prod/app/db'])).toBe(true);
    expect(same(['aws', ARN], ['aws', 'prod/app/db'])).toBe(true);
    expect(same(['aws', 'prod/app/db'], ['aws', ' prod/app/db '])).toBe(true);
    expect(same(['aws', ARN], ['aws', 'eu-west-1:prod/app/db'])).toBe(false);
    expect(same(['aws', ARN], ['aws', 'us-east-1:prod/app/db-AbCdEf'])).toBe(false);
    expect(
      same(['aws', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/app/db-backup-XyZ123'], ['aws', 'prod/app/db-backup']),
    ).toBe(true);
    expect(same(['vault', 'secret/prod/app/db'], ['vault', 'secret:prod/app/db#password'])).toBe(true);
    expect(same(['vault', 'team/kv:prod/app/db'], ['vault', 'team/kv/prod/app/db'])).toBe(false);
    expect(storeKeyOf('manual', null)).toBeNull();
  });
});

describe('one inventory entry per store secret', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
    store.inventoryService.create(
      { name: 'prod/app/db_password', owner: 'U0123ABCD', provider: 'aws', providerRef: 'us-east-1:prod/app/db' },
      operator('U1'),
      'slack',
    );
    store.inventoryService.create(
      { name: 'prod/app/vault_db', owner: 'U0123ABCD', provider: 'vault', providerRef: 'secret/prod/app/db' },
      operator('U1'),
      'slack',
    );
  });
  afterEach(() => store.close());

  it('refuses a second entry, or a changed reference, that names a tracked store secret; the database is unchanged', () => {
    const before = snapshotTables(store);
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error instanceof ValidationError ? error.issues.map((issue) => `${issue.where}: ${issue.message}`) : [String(error)];
      }
      return [];
    };
    expect(
      refusal(() =>
        store.inventoryService.create({ name: 'prod/app/database_url', provider: 'aws', providerRef: ARN }, operator('U1'), 'slack'),
      ),
    ).toEqual([
      'provider_ref: `arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/app/db-AbCdEf` is the AWS secret prod/app/db in us-east-1, which `prod/app/db_password` already tracks; one store secret has one inventory entry, so change `prod/app/db_password` instead (or retire it first)',
    ]);
    store.inventoryService.create({ name: 'prod/app/other', provider: 'aws', providerRef: 'prod/app/other' }, operator('U1'), 'slack');
    const afterOther = snapshotTables(store);
    expect(
      refusal(() =>
        store.inventoryService.update('prod/app/other', { provider: 'aws', providerRef: 'prod/app/db' }, operator('U1'), 'slack'),
      ),
    ).toHaveLength(1);
    expect(
      refusal(() =>
        store.inventoryService.create(
          { name: 'prod/app/vault_copy', provider: 'vault', providerRef: 'secret:prod/app/db#password' },
          operator('U1'),
          'slack',
        ),
      ),
    ).toEqual([expect.stringContaining('is the Vault secret secret/prod/app/db, which `prod/app/vault_db` already tracks')]);
    expect(snapshotTables(store)).toEqual(afterOther);
    expect(before.secrets).toHaveLength(2);
    // In another region it is another secret; and a retired entry frees its reference.
    store.inventoryService.create(
      { name: 'prod/app/db_replica', provider: 'aws', providerRef: 'eu-west-1:prod/app/db' },
      operator('U1'),
      'slack',
    );
    store.inventoryService.setLifecycle('prod/app/db_password', 'retired', operator('U1'));
    expect(
      store.inventoryService.create({ name: 'prod/app/database_url', provider: 'aws', providerRef: ARN }, operator('U1'), 'slack')
        .providerRef,
    ).toBe(ARN);
  });

  it('an import naming one store secret twice, or one already tracked, is refused by line; moving a reference in the same file is fine', async () => {
    const file = join(store.dir, 'dupes.yaml');
    writeFileSync(
      file,
      [
        `- {name: prod/app/database_url, provider: aws, provider_ref: "${ARN}"}`,
        '- {name: prod/billing/api_key, provider: aws, provider_ref: "eu-west-1:prod/billing/key"}',
        '- {name: prod/billing/api_key_2, provider: aws, provider_ref: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/billing/key-QwErTy"}',
      ].join('\n'),
    );
    const before = snapshotTables(store);
    const result = await rotor(store.path, 'import', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/line 1, provider_ref: .* which `prod\/app\/db_password` already tracks/);
    expect(result.stderr).toMatch(/line 3, provider_ref: .* which `prod\/billing\/api_key` already tracks/);
    expect(snapshotTables(store)).toEqual(before);

    const moved = join(store.dir, 'moved.yaml');
    writeFileSync(
      moved,
      [
        '- {name: prod/app/db_password, provider_ref: "us-east-1:prod/app/db-old"}',
        `- {name: prod/app/database_url, provider: aws, provider_ref: "${ARN}"}`,
      ].join('\n'),
    );
    expect(await rotor(store.path, 'import', moved)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Added 1, changed 1/) });
  });

  it('two connections adding the same store secret at once: the second is refused inside its write transaction', async () => {
    const { openDatabase } = await import('../../src/storage/database.js');
    const { createServices } = await import('../../src/services.js');
    const secondDb = openDatabase(store.path);
    try {
      const second = createServices(secondDb, store.clock, store.policy);
      const planned = second.inventoryService.plan([
        { name: 'prod/app/database_url', provider: 'aws', providerRef: ARN.replace('us-east-1', 'us-west-2') },
      ]);
      expect(planned.issues).toEqual([]);
      store.inventoryService.create(
        { name: 'prod/app/west', provider: 'aws', providerRef: 'us-west-2:prod/app/db' },
        operator('U1'),
        'slack',
      );
      expect(() => second.inventoryService.apply(planned.changes, operator('U1'), 'test')).toThrow(/another entry tracks its store secret/);
      expect(store.inventory.get('prod/app/database_url')).toBeNull();
    } finally {
      secondDb.close();
    }
  });
});
