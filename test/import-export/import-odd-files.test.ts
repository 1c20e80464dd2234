import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rotor } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';

/** Files as people really write them: shared YAML defaults, spreadsheet exports, hand-made tables. */
describe('import of odd but sensible files', () => {
  let store: TempStore;
  const file = (name: string, content: string | Buffer) => {
    const path = join(store.dir, name);
    writeFileSync(path, content);
    return path;
  };
  const show = async (name: string) => JSON.parse((await rotor(store.path, 'show', name, '--json')).stdout) as Record<string, unknown>;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  it('resolves YAML anchors, aliases and `<<` merge keys', async () => {
    const yaml = `defaults: &defaults
  owner: U0123ABCD
  interval_days: 30
lead: &lead U0999LEAD
secrets:
  - <<: *defaults
    name: prod/a/api_key
  - name: prod/b/api_key
    owner: *lead
`;
    const result = await rotor(store.path, 'import', file('anchors.yaml', yaml));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await show('prod/a/api_key')).toMatchObject({ owner: 'U0123ABCD', interval_days: 30 });
    expect(await show('prod/b/api_key')).toMatchObject({ owner: 'U0999LEAD' });
  });

  it('reports an alias without its anchor by line, and writes nothing', async () => {
    const before = snapshotTables(store);
    const result = await rotor(
      store.path,
      'import',
      file('alias.yaml', '- name: prod/a/api_key\n- name: prod/b/api_key\n  owner: *nobody\n'),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/line 2: .*nobody.*anchor/);
    expect(result.stderr).not.toMatch(/object Object/);
    expect(snapshotTables(store)).toEqual(before);
  });

  it('reads Markdown tables with one-dash delimiters, alignment colons, escaped pipes, CRLF and missing trailing pipes', async () => {
    const md = [
      '# Inventory',
      '| Secret Name | Owner | Description',
      '|:-|:-:|-:|',
      '| prod/a/api_key | U0123ABCD | left \\| right',
      '| prod/b/api_key | [TBD] | [TBD] |',
      '',
    ].join('\r\n');
    const result = await rotor(store.path, 'import', file('table.md', md));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await show('prod/a/api_key')).toMatchObject({ owner: 'U0123ABCD', description: 'left | right' });
    expect(await show('prod/b/api_key')).toMatchObject({ owner: null, description: null });
  });

  it('reads spreadsheet CSV: BOM, CRLF, trailing commas, quoted commas and newlines, tab or semicolon separators', async () => {
    const csv = '\uFEFFname,owner,description,\r\nprod/a/api_key,U0123ABCD,"one, two\r\nthree",\r\n';
    expect((await rotor(store.path, 'import', file('excel.csv', csv))).code).toBe(0);
    expect(await show('prod/a/api_key')).toMatchObject({ owner: 'U0123ABCD', description: 'one, two\r\nthree' });
    expect((await rotor(store.path, 'import', file('tabs.csv', 'name\towner\nprod/b/api_key\tU0123ABCD\n'))).code).toBe(0);
    expect((await rotor(store.path, 'import', file('semi.csv', 'name;owner;description\nprod/c/api_key;U0123ABCD;a, b\n'))).code).toBe(0);
    expect(await show('prod/c/api_key')).toMatchObject({ owner: 'U0123ABCD', description: 'a, b' });
  });

  it('refuses a value under a column with no header, without echoing it', async () => {
    const before = snapshotTables(store);
    const result = await rotor(store.path, 'import', file('stray.csv', 'name,owner,\nprod/a/api_key,U0123ABCD,stray-value-here\n'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/line 2: has a value in column 3, which has no name in the header/);
    expect(result.stderr).not.toContain('stray-value-here');
    expect(snapshotTables(store)).toEqual(before);
  });

  it('says plainly when the path is a folder, missing, or a broken link, and writes nothing', async () => {
    const before = snapshotTables(store);
    const folder = join(store.dir, 'inventory.yaml');
    mkdirSync(folder);
    expect(await rotor(store.path, 'import', folder)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/inventory\.yaml is a folder; import its files one at a time/),
    });
    expect(await rotor(store.path, 'import', store.dir)).toMatchObject({ code: 2, stderr: expect.stringMatching(/is a folder/) });
    expect(await rotor(store.path, 'import', join(store.dir, 'nope.csv'))).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/nope\.csv: no such file .*check the path/),
    });
    symlinkSync(join(store.dir, 'gone.csv'), join(store.dir, 'link.csv'));
    expect(await rotor(store.path, 'import', join(store.dir, 'link.csv'))).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/link to a missing file/),
    });
    expect(snapshotTables(store)).toEqual(before);
  });
});
