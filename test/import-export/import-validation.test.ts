import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_IMPORT_BYTES } from '../../src/import-export/import-file.js';
import { rotor } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';

const GOOD_AND_BAD = `secrets:
  - name: prod/postgres/connection_string
    owner: U0123ABCD
    interval_days: 90
  - name: Prod/redis/password
    provider: gcp
  - name: staging/stripe/secret_key
    last_rotated: 2026-10-01
  - name: dev/api/key
    interval_days: 0
    last_rotated: 2099-01-01
`;

describe('import validation', () => {
  let store: TempStore;
  const file = (name: string, content: string | Buffer) => {
    const path = join(store.dir, name);
    writeFileSync(path, content);
    return path;
  };
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  it('reports every error with its line, exits 2 and writes nothing', async () => {
    const before = snapshotTables(store);
    const result = await rotor(store.path, 'import', file('mixed.yaml', GOOD_AND_BAD));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Nothing was imported: 2 of 4 rows have problems/);
    expect(result.stderr).toMatch(/line 5, name: `Prod\/redis\/password` has upper-case letters/);
    expect(result.stderr).toMatch(/line 6, provider: unknown provider `gcp`/);
    expect(result.stderr).toMatch(/line 10, interval_days: must be between 1 and 3650/);
    expect(result.stderr).toMatch(/line 11, last_rotated: 2099-01-01 is in the future/);
    expect(snapshotTables(store)).toEqual(before);
  });

  it('with --partial imports the valid rows and reports the rest', async () => {
    const result = await rotor(store.path, 'import', '--partial', file('mixed.yaml', GOOD_AND_BAD));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Added 2, changed 0, left 0 unchanged\./);
    expect(result.stderr).toMatch(/Left out 2 invalid rows/);
    const one = await rotor(
      store.path,
      'import',
      '--partial',
      '--dry-run',
      file('one-bad.yaml', '- name: prod/a/key\n- name: Prod/b/key\n'),
    );
    expect(one.stderr).toMatch(/Would leave out 1 invalid row:/);
    expect(store.inventory.count()).toBe(2);
  });

  it('with --dry-run shows added, changed and unchanged without writing', async () => {
    await rotor(store.path, 'import', file('one.yaml', 'secrets:\n  - name: prod/postgres/connection_string\n    owner: U0123ABCD\n'));
    const before = snapshotTables(store);
    const result = await rotor(
      store.path,
      'import',
      '--dry-run',
      file(
        'two.yaml',
        '- name: prod/postgres/connection_string\n  owner: U0999ZZZZ\n- name: prod/redis/password\n- {name: prod/postgres/connection_string}\n',
      ),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/appears more than once \(first on line 1\)/);
    const ok = await rotor(
      store.path,
      'import',
      '--dry-run',
      file('three.yaml', '- name: prod/postgres/connection_string\n  owner: U0999ZZZZ\n- name: prod/redis/password\n'),
    );
    expect(ok.stdout).toContain('Would add 1, change 1, leave 0 unchanged (dry run: nothing written).');
    expect(ok.stdout).toContain('~ prod/postgres/connection_string: owner "U0123ABCD" → "U0999ZZZZ"');
    expect(snapshotTables(store)).toEqual(before);
  });

  it.each([
    ['two segments', 'name\nprod/postgres\n', /line 2, name: .* has 2 segments/],
    ['four segments', 'name\nprod/a/b/c\n', /has 4 segments/],
    ['unknown environment', 'name\nqa/postgres/password\n', /`qa` is not a known environment/],
    ['spaces', 'name\nprod/my db/password\n', /contains spaces/],
    ['empty name', 'name,type\n,database\n', /A secret name is required/],
    ['[TBD] name', 'name,type\n[TBD],database\n', /A secret name is required/],
    ['non-numeric interval', 'name,interval_days\nprod/a/key,often\n', /not a whole number of days/],
    ['fractional interval', 'name,interval_days\nprod/a/key,1.5\n', /`1.5` is not a whole number of days/],
    ['missing column in a row', 'name,type,owner\nprod/a/key,api_key\n', /line 2: has 2 values but the header has 3 columns/],
    ['header without name', 'secret_id,owner\nx,U0123ABCD\n', /no `name` column/],
    ['unknown column', 'name,colour\nprod/a/key,red\n', /unknown column `colour`/],
  ])('refuses a CSV with %s and writes nothing', async (_label, content, message) => {
    const before = snapshotTables(store);
    const result = await rotor(store.path, 'import', file('bad.csv', content));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(snapshotTables(store)).toEqual(before);
  });

  it.each([
    ['an unknown extension', 'secrets.txt', 'name: x', /unknown file type `.txt`/],
    ['an empty file', 'empty.yaml', '  \n', /is empty/],
    [
      'invalid UTF-8',
      'latin1.csv',
      Buffer.concat([Buffer.from('name,description\nprod/a/key,caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
      /not valid UTF-8[\s\S]*line 2/,
    ],
    ['a Markdown file without a table', 'notes.md', '# Secrets\n\nWe keep them somewhere.\n', /has no table/],
    ['a Markdown file whose tables hold no secrets', 'other.md', '| Date | Owner |\n|---|---|\n| 2026-01-01 | x |\n', /no inventory table/],
    ['JSON that is not a list', 'bad.json', '{"name": "prod/a/key"}', /must be a list of secrets/],
    ['broken JSON', 'broken.json', '[{"name": "prod/a/key",]', /not valid JSON/],
    ['an unknown field', 'typo.yaml', '- name: prod/a/key\n  ownr: U0123ABCD\n', /line 2: unknown field `ownr`/],
  ])('refuses %s and writes nothing', async (_label, name, content, message) => {
    const before = snapshotTables(store);
    const result = await rotor(store.path, 'import', file(name, content));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(snapshotTables(store)).toEqual(before);
  });

  it('refuses a 50 MB file without reading it', async () => {
    const path = join(store.dir, 'huge.csv');
    writeFileSync(path, Buffer.alloc(50 * 1024 * 1024, 0x41));
    expect(50 * 1024 * 1024).toBeGreaterThan(MAX_IMPORT_BYTES);
    const before = snapshotTables(store);
    const result = await rotor(store.path, 'import', path);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/huge.csv is 50.0 MiB; imports are limited to 32 MiB/);
    expect(snapshotTables(store)).toEqual(before);
  });

  it('refuses an unknown secret by name with suggestions', async () => {
    await rotor(store.path, 'import', file('one.yaml', '- name: prod/postgres/connection_string\n'));
    const result = await rotor(store.path, 'show', 'prod/postgres/conection_string');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/No secret named `prod\/postgres\/conection_string`\. Did you mean: prod\/postgres\/connection_string\?/);
  });
});
