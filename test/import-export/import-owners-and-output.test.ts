import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rotor } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';

describe('import: owner cells, output, and the files spreadsheets save', () => {
  let store: TempStore;
  const file = (name: string, content: string) => {
    const path = join(store.dir, name);
    writeFileSync(path, content);
    return path;
  };
  const owner = (name: string) => store.inventory.get(name)?.owner ?? null;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  const TABLE = [
    '| Secret Name | Owner | Slack | Type |',
    '|---|---|---|---|',
    '| `prod/a/api_key` | Olivia | @olivia | API Key |',
    '| `prod/b/api_key` | Olivia | <@U0123ABCD> | API Key |',
    '| `prod/c/api_key` | Olivia | U0456EFGH | API Key |',
    '| `prod/d/api_key` | Olivia | <@U0789IJKL|olivia> | API Key |',
    '| `prod/e/api_key` | Olivia | [TBD] | API Key |',
    '',
  ].join('\n');

  it('an Owner/Slack pair with no member id is an error naming its line; nothing is written', async () => {
    const before = snapshotTables(store);
    const result = await rotor(store.path, 'import', file('owners.md', TABLE));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('line 3, owner: Slack `@olivia` is not a Slack member id, so the secret would have no owner;');
    expect(result.stderr).toContain('<@U0123ABCD> in the Slack column');
    expect(result.stderr.match(/line \d+, owner/g)).toHaveLength(1);
    expect(snapshotTables(store)).toEqual(before);
  });

  it('with --partial the unusable cell is a warning; a mention or a member id in the Slack column is the owner', async () => {
    const result = await rotor(store.path, 'import', '--partial', file('owners.md', TABLE));
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/1 warning; these rows were imported without the field:\n {2}line 3, owner: Slack `@olivia`/);
    expect(result.stdout).toMatch(/^Added 5/);
    expect([
      owner('prod/a/api_key'),
      owner('prod/b/api_key'),
      owner('prod/c/api_key'),
      owner('prod/d/api_key'),
      owner('prod/e/api_key'),
    ]).toEqual([null, 'U0123ABCD', 'U0456EFGH', 'U0789IJKL', null]);
    expect(store.inventory.get('prod/b/api_key')?.tags).toMatchObject({ owner_name: 'Olivia' });
    expect(store.inventory.get('prod/d/api_key')?.type).toBe('api_key');
  });

  it('an Owner column alone holding a name is reported too', async () => {
    const md = ['| Secret Name | Owner |', '|---|---|', '| prod/a/api_key | Olivia Smith |', '| prod/b/api_key | U0123ABCD |', ''].join(
      '\n',
    );
    const result = await rotor(store.path, 'import', file('owner-only.md', md));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('line 3, owner: Owner `Olivia Smith` is not a Slack member id');
  });

  it('reports each problem once, even for a registry row that expands over every environment', async () => {
    const md = ['| Key | Owner | Rotation cadence |', '|---|---|---|', '| `db/app` | @dba | soon |', ''].join('\n');
    const result = await rotor(store.path, 'import', file('registry.md', md));
    expect(result.code).toBe(2);
    expect(result.stderr.match(/line 3, interval_days/g)).toHaveLength(1);
    expect(result.stderr.match(/line 3, owner/g)).toHaveLength(1);
  });

  it('lists the first 50 changes and problems, then a count; --verbose lists them all', async () => {
    const rows = Array.from({ length: 120 }, (_, index) => `prod/svc${index}/api_key,U0123ABCD`);
    const good = file('many.csv', ['name,owner', ...rows, ''].join('\n'));
    const capped = await rotor(store.path, 'import', '--dry-run', good);
    expect(capped.stdout.split('\n').filter((line) => line.startsWith('  + '))).toHaveLength(50);
    expect(capped.stdout).toContain('  … and 70 more secrets (run again with --verbose to see them all)');
    const verbose = await rotor(store.path, 'import', '--dry-run', '--verbose', good);
    expect(verbose.stdout.split('\n').filter((line) => line.startsWith('  + '))).toHaveLength(120);

    const bad = file('bad.csv', ['name,owner', ...rows.map((row) => row.replace('U0123ABCD', 'olivia')), ''].join('\n'));
    const problems = await rotor(store.path, 'import', bad);
    expect(problems.code).toBe(2);
    expect(problems.stderr.split('\n').filter((line) => /^ {2}line \d+, owner/.test(line))).toHaveLength(50);
    expect(problems.stderr).toContain('  …: and 70 more problems (run again with --verbose to see them all)');
    const all = await rotor(store.path, 'import', '--verbose', bad);
    expect(all.stderr.split('\n').filter((line) => /^ {2}line \d+, owner/.test(line))).toHaveLength(120);

    const json = JSON.parse((await rotor(store.path, 'import', '--dry-run', '--json', good)).stdout) as {
      written: boolean;
      added: number;
      changes: unknown[];
    };
    expect(json).toMatchObject({ written: false, added: 120 });
    expect(json.changes).toHaveLength(120);
  });

  it("ignores Excel's trailing rows of separators, reads .tsv, and names the accepted columns for an unknown one", async () => {
    const excel = file('excel.csv', 'name;owner;team;;\r\nprod/a/api_key;U0123ABCD;payments;;\r\n;;;;\r\n;;;;\r\n');
    expect(await rotor(store.path, 'import', excel)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Added 1,/) });
    const tsv = file('inventory.tsv', 'name\towner\tdescription\nprod/b/api_key\tU0123ABCD\tone, two; three\n');
    expect(await rotor(store.path, 'import', tsv)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Added 1,/) });
    expect(store.inventory.get('prod/b/api_key')?.description).toBe('one, two; three');
    const before = snapshotTables(store);
    const unknown = await rotor(store.path, 'import', file('typo.csv', 'name,ownr\nprod/c/api_key,U0123ABCD\n'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'unknown column `ownr` (did you mean `owner`?); Rotor reads name, type, description, owner, backup_owner, team, consumers, provider, provider_ref, interval_days, last_rotated, next_rotation, status, retrieval_instructions, tags, checklist',
    );
    const yaml = await rotor(store.path, 'import', file('typo.yaml', '- name: prod/c/api_key\n  descripton: x\n'));
    expect(yaml.stderr).toContain('unknown field `descripton` (did you mean `description`?); Rotor reads name, type,');
    expect(snapshotTables(store)).toEqual(before);
  });

  it('a header of thousands of columns is refused in one line, before the rows are read', async () => {
    const header = Array.from({ length: 200_000 }, (_, index) => `column${index}`).join(',');
    const result = await rotor(store.path, 'import', file('wide.csv', `name,${header}\nprod/a/api_key\n`));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(2);
    expect(result.stderr).toContain('the header has 200001 columns');
    const many = Array.from({ length: 1500 }, (_, index) => `prod/svc${index}/api_key,olivia,`).join('\n');
    const bad = await rotor(store.path, 'import', '--verbose', file('many-bad.csv', `name,owner,\n${many}\n`));
    expect(bad.stderr).toContain('and 500 more problems not listed; fix these and import again to see the rest');
  });
});
