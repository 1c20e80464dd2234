import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliContext } from '../../src/cli/cli-context.js';
import { buildProgram } from '../../src/cli/program.js';
import { parseSecretsCommand } from '../../src/slack/listeners/commands/secrets-command-parser.js';
import { rotor } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';
import { operator } from '../support/actors.js';

/** Every migration in the folder, in order: a fresh database applies them all. */
const MIGRATIONS = readdirSync(new URL('../../migrations', import.meta.url))
  .filter((file) => file.endsWith('.sql'))
  .sort();

/** One convention on every command: --dry-run, --json, one day limit, `rotor: …` errors that say what to type. */
describe('rotor CLI conventions', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
    store.inventoryService.create(
      { name: 'prod/app/api_key', owner: 'U0123ABCD', intervalDays: 90, lastRotated: '2026-10-01' },
      operator('U1'),
      'test',
    );
  });
  afterEach(() => store.close());

  it('every command that writes takes --dry-run; the older spellings stay as noted aliases', async () => {
    for (const argv of [['import'], ['sync'], ['discover'], ['reminders', 'run'], ['migrate']]) {
      const help = await rotor(store.path, ...argv, '--help');
      expect(help.stdout, argv.join(' ')).toMatch(/--dry-run/);
    }
    const oneLine = async (...argv: string[]) => (await rotor(store.path, ...argv)).stdout.replace(/\s+/g, ' ');
    // discover keeps proposing by default (as it always did); --dry-run says so explicitly.
    expect(await oneLine('discover', '--help')).toContain('--dry-run only show the proposals; write nothing (the default)');
    expect(await oneLine('reminders', '--help')).toContain(
      'preview [options] the same as `reminders run --dry-run` (the older spelling, kept for scripts)',
    );

    const before = snapshotTables(store, ['secrets', 'audit_events', 'reminder_ledger']);
    const dry = await rotor(store.path, 'reminders', 'run', '--dry-run', '--at', '2027-01-01T10:00:00Z', '--json');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual([expect.objectContaining({ secret: 'prod/app/api_key', kind: 'due', recipient: 'U0123ABCD' })]);
    expect(JSON.parse((await rotor(store.path, 'reminders', 'preview', '--at', '2027-01-01T10:00:00Z', '--json')).stdout)).toEqual(
      JSON.parse(dry.stdout),
    );
    expect(snapshotTables(store, ['secrets', 'audit_events', 'reminder_ledger'])).toEqual(before);

    const fresh = join(store.dir, 'new', 'rotor.db');
    expect(await rotor(fresh, 'migrate', '--dry-run')).toMatchObject({
      code: 0,
      stdout: `Would apply ${MIGRATIONS.join(', ')} (dry run: nothing changed).\n`,
    });
    expect(existsSync(fresh)).toBe(false);
    expect(JSON.parse((await rotor(store.path, 'migrate', '--dry-run', '--json')).stdout)).toMatchObject({ dryRun: true, pending: [] });
  });

  it('--json on every command that prints a result', async () => {
    const file = join(store.dir, 'more.yaml');
    writeFileSync(file, '- {name: prod/app/db_password, owner: U0123ABCD}\n');
    expect(JSON.parse((await rotor(store.path, 'import', file, '--json')).stdout)).toMatchObject({ written: true, added: 1 });
    expect(JSON.parse((await rotor(store.path, 'migrate', '--json')).stdout)).toMatchObject({ applied: [], version: MIGRATIONS.length });
    expect(JSON.parse((await rotor(store.path, 'audit', 'verify', '--json')).stdout)).toMatchObject({
      intact: true,
      events: 2,
      keyed: false,
      head: { seq: 2 },
    });
    expect(JSON.parse((await rotor(store.path, 'backup', join(store.dir, 'copy.db'), '--json')).stdout)).toMatchObject({
      backup: join(store.dir, 'copy.db'),
    });
    for (const argv of [
      ['list'],
      ['show', 'prod/app/api_key'],
      ['overdue'],
      ['due'],
      ['reminders', 'preview'],
      ['rotations', 'list'],
      ['incidents', 'list'],
    ]) {
      const result = await rotor(store.path, ...argv, '--json');
      expect(() => JSON.parse(result.stdout), argv.join(' ')).not.toThrow();
    }
  });

  it('every command, argument and option says what it is in --help', () => {
    const program = buildProgram(new CliContext({ stdout: () => undefined, stderr: () => undefined, env: {} }, () => ({})));
    const undocumented: string[] = [];
    const walk = (command: Command, path: string): void => {
      for (const child of command.commands) {
        const at = `${path} ${child.name()}`;
        if (!child.description()) undocumented.push(at);
        for (const argument of child.registeredArguments) if (!argument.description) undocumented.push(`${at} <${argument.name()}>`);
        for (const option of child.options) if (!option.description) undocumented.push(`${at} ${option.flags}`);
        walk(child, at);
      }
    };
    walk(program, 'rotor');
    expect(undocumented).toEqual([]);
  });

  it('the same day limit everywhere: `rotor due`, `rotor calendar` and `/secrets due`', async () => {
    expect((await rotor(store.path, 'due', '--days', '365')).code).toBe(0);
    expect((await rotor(store.path, 'calendar', '--days', '365')).code).toBe(0);
    for (const argv of [
      ['due', '--days', '366'],
      ['calendar', '--days', '366'],
      ['calendar', '--days', '0'],
    ]) {
      expect(await rotor(store.path, ...argv), argv.join(' ')).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('expected a whole number of days from 1 to 365'),
      });
    }
    expect(parseSecretsCommand('due 365d', ['prod'])).toEqual({ kind: 'due', days: 365 });
    expect(parseSecretsCommand('due 366d', ['prod'])).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('between 1 and 365'),
    });
  });

  it('one error style: `rotor: …`, then what to type instead', async () => {
    expect(await rotor(store.path, 'list', '--evn', 'prod')).toMatchObject({
      code: 2,
      stderr: "rotor: unknown option '--evn'\n(Did you mean --env?)\nType `rotor list --help` to see what it accepts.\n",
    });
    expect(await rotor(store.path, 'lst')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^rotor: unknown command 'lst'\n\(Did you mean list\?\)\nType `rotor --help`/),
    });
    expect(await rotor(store.path, 'reminders', 'run', '--at', 'x', '--bogus')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Type `rotor reminders run --help`'),
    });
    const noToken = await rotor(store.path, 'reminders', 'run');
    expect(noToken.stderr).toMatch(/^rotor: Sending reminders needs SLACK_BOT_TOKEN .*; set it, or run `rotor reminders run --dry-run`/);
    expect(noToken.stderr).not.toMatch(/rotor: rotor/);
  });

  it('a filter naming an unknown environment or a non-id owner says so instead of "No secrets."', async () => {
    expect(await rotor(store.path, 'list', '--env', 'production')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^rotor: --env production is not an environment of the policy\.\n {2}--env: use one of prod, staging, dev, e\.g\. --env prod/,
      ),
    });
    for (const command of ['list', 'calendar']) {
      expect(await rotor(store.path, command, '--owner', '@olivia'), command).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('--owner @olivia is not a Slack member id, so it cannot match any owner.'),
      });
    }
    expect((await rotor(store.path, 'list', '--owner', '<@U0123ABCD>')).stdout).toContain('prod/app/api_key');
    expect((await rotor(store.path, 'list', '--env', 'staging')).stdout).toBe('No secrets.\n');
  });
});
