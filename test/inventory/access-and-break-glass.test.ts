import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAccessList } from '../../src/inventory/secret-fields.js';
import { operator } from '../support/actors.js';
import { rotor } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';

/** Who may read a secret (its access list) and the break-glass flag: stored, imported, exported, edited, shown, audited. */
describe('the access list and the break-glass flag of a secret', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
    store.inventoryService.create({ name: 'prod/app/db', type: 'database', owner: 'U0OWNER' }, operator(), 'test');
  });
  afterEach(() => store.close());

  it('reads ids and mentions, separated by commas, semicolons or spaces, and refuses anything else by name', () => {
    expect(parseAccessList('U0ALICE, <@U0BOB|bob>; <!subteam^S0OPS|@ops> S0DBA U0ALICE')).toEqual({
      ids: ['U0ALICE', 'U0BOB', 'S0OPS', 'S0DBA'],
    });
    expect(parseAccessList(['W0GRID', '@U0CAROL'])).toEqual({ ids: ['W0GRID', 'U0CAROL'] });
    expect(parseAccessList('')).toEqual({ ids: [] });
    const refused = parseAccessList('U0ALICE, alice, #ops');
    expect(refused).toEqual({
      problem: expect.stringContaining('`alice`, `#ops` are not a Slack member id (U0123ABCD) or user group id (S0123ABCD)'),
    });
  });

  it('`rotor edit` sets and clears them, `rotor show` prints them, and each change is audited', async () => {
    const set = await rotor(store.path, 'edit', 'prod/app/db', '--access', 'U0ALICE,S0OPS U0BOB', '--break-glass');
    expect(set).toMatchObject({
      code: 0,
      stderr: '',
      stdout: 'Saved prod/app/db: access U0ALICE, S0OPS, U0BOB; a break-glass credential.\n',
    });
    expect(store.inventory.get('prod/app/db')).toMatchObject({ access: ['U0ALICE', 'S0OPS', 'U0BOB'], breakGlass: true });
    const shown = JSON.parse((await rotor(store.path, 'show', 'prod/app/db', '--json')).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ access: ['U0ALICE', 'S0OPS', 'U0BOB'], break_glass: true });
    expect((await rotor(store.path, 'show', 'prod/app/db')).stdout).toMatch(/^access\s+\["U0ALICE","S0OPS","U0BOB"\]$/m);
    const event = store.db
      .prepare(`SELECT details FROM audit_events WHERE action = 'secret.updated' AND secret = 'prod/app/db' ORDER BY seq DESC LIMIT 1`)
      .get() as { details: string };
    expect(JSON.parse(event.details).changes).toEqual({
      access: { from: [], to: ['U0ALICE', 'S0OPS', 'U0BOB'] },
      breakGlass: { from: false, to: true },
    });

    expect(await rotor(store.path, 'edit', 'prod/app/db', '--access', '', '--no-break-glass')).toMatchObject({
      code: 0,
      stdout: 'Saved prod/app/db: access its owners only; not a break-glass credential.\n',
    });
    expect(store.inventory.get('prod/app/db')).toMatchObject({ access: [], breakGlass: false });
  });

  it('refuses an access list naming something other than a member or group id; the database is unchanged', async () => {
    const before = snapshotTables(store);
    const refused = await rotor(store.path, 'edit', 'prod/app/db', '--access', 'U0ALICE @bob');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('access: `@bob` is not a Slack member id (U0123ABCD) or user group id (S0123ABCD)');
    expect(snapshotTables(store)).toEqual(before);
  });

  it('an import in each format sets them, an export writes them back, and a bad row is refused with the database unchanged', async () => {
    const yaml = join(store.dir, 'secrets.yaml');
    writeFileSync(
      yaml,
      '- {name: prod/app/db, access: [U0ALICE, S0OPS], break_glass: yes}\n- {name: prod/app/cache, owner: U0OWNER, readers: "U0BOB U0CAROL"}\n',
    );
    expect(await rotor(store.path, 'import', yaml)).toMatchObject({ code: 0 });
    expect(store.inventory.get('prod/app/db')).toMatchObject({ access: ['U0ALICE', 'S0OPS'], breakGlass: true });
    expect(store.inventory.get('prod/app/cache')).toMatchObject({ access: ['U0BOB', 'U0CAROL'], breakGlass: false });

    const csv = join(store.dir, 'secrets.csv');
    writeFileSync(csv, 'name,owner,access,break_glass\nprod/app/queue,U0OWNER,"U0DAN,S0OPS",true\n');
    expect(await rotor(store.path, 'import', csv)).toMatchObject({ code: 0 });
    const json = join(store.dir, 'secrets.json');
    writeFileSync(
      json,
      JSON.stringify({ secrets: [{ name: 'prod/app/search', owner: 'U0OWNER', access: ['U0ERIN'], break_glass: false }] }),
    );
    expect(await rotor(store.path, 'import', json)).toMatchObject({ code: 0 });
    const markdown = join(store.dir, 'secrets.md');
    writeFileSync(
      markdown,
      '| Name | Owner | Access | Break glass |\n|---|---|---|---|\n| prod/app/mail | U0OWNER | U0FRED, S0OPS | yes |\n',
    );
    expect(await rotor(store.path, 'import', markdown)).toMatchObject({ code: 0 });
    expect(store.inventory.get('prod/app/queue')).toMatchObject({ access: ['U0DAN', 'S0OPS'], breakGlass: true });
    expect(store.inventory.get('prod/app/search')).toMatchObject({ access: ['U0ERIN'], breakGlass: false });
    expect(store.inventory.get('prod/app/mail')).toMatchObject({ access: ['U0FRED', 'S0OPS'], breakGlass: true });

    const exported = (await rotor(store.path, 'export', '--format', 'json')).stdout;
    const records = (JSON.parse(exported) as { secrets: Record<string, unknown>[] }).secrets;
    expect(records.find((record) => record.name === 'prod/app/db')).toMatchObject({ access: ['U0ALICE', 'S0OPS'], break_glass: true });
    expect(records.find((record) => record.name === 'prod/app/cache')).not.toHaveProperty('break_glass');
    const csvOut = (await rotor(store.path, 'export', '--format', 'csv')).stdout;
    expect(csvOut.split('\n')[0]).toContain('value_source,value_field,access,break_glass');

    const bad = join(store.dir, 'bad.csv');
    writeFileSync(bad, 'name,access,break_glass\nprod/app/db,U0ALICE alice,sometimes\n');
    const before = snapshotTables(store);
    const refused = await rotor(store.path, 'import', bad);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('`alice` is not a Slack member id');
    expect(refused.stderr).toContain('break_glass: `sometimes` is not yes or no');
    expect(snapshotTables(store)).toEqual(before);
  });
});
