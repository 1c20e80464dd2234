import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerCalendarCommand } from '../../src/cli/calendar-command.js';
import type { CliContext } from '../../src/cli/cli-context.js';
import { registerRemindersCommand } from '../../src/cli/reminders-command.js';
import { loadPolicy } from '../../src/config/policy.js';
import { FixedClock } from '../../src/core/clock.js';
import { createServices } from '../../src/services.js';
import { openDatabase } from '../../src/storage/database.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { POLICY_YAML } from './support/reminder-harness.js';

const INVENTORY = [
  { name: 'prod/stripe/api_key', owner: 'UOWNER1', backup_owner: 'UBACK1', team: 'payments', consumers: 'checkout', interval_days: 90, last_rotated: '2026-11-02' },
  { name: 'prod/postgres/connection_string', owner: 'UOWNER1', interval_days: 90, last_rotated: '2026-10-08' },
  { name: 'staging/redis/password', owner: 'UOWNER2', interval_days: 90, last_rotated: '2026-12-20' },
];

describe('rotor reminders preview / run', () => {
  let dir: string;
  let dbPath: string;
  let slack: FakeSlackApi;
  let out: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rotor-cli-'));
    dbPath = join(dir, 'rotor.db');
    writeFileSync(join(dir, 'policy.yml'), POLICY_YAML);
    slack = new FakeSlackApi();
    await slack.start();
    for (const user of ['UOWNER1', 'UOWNER2', 'UBACK1']) slack.addUser(user, 'UTC');
    env = { ROTOR_DB: dbPath, ROTOR_CONFIG: join(dir, 'policy.yml'), SLACK_BOT_TOKEN: 'xoxb-' + randomBytes(8).toString('hex'), SLACK_API_URL: slack.apiUrl };
    // The inventory as an import writes it: validated rows, planned and applied in one transaction.
    const db = openDatabase(dbPath);
    const services = createServices(db, new FixedClock('2026-12-30T10:00:00Z'), loadPolicy(env.ROTOR_CONFIG));
    const { changes, issues } = services.inventoryService.plan(
      INVENTORY.map((row) => ({ name: row.name, owner: row.owner, backupOwner: row.backup_owner, team: row.team, consumers: row.consumers ? [row.consumers] : undefined, intervalDays: row.interval_days, lastRotated: row.last_rotated })),
    );
    expect(issues).toEqual([]);
    services.inventoryService.apply(changes, 'cli:test', 'inventory.yml');
    db.close();
    out = '';
  });

  afterEach(async () => {
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function rotor(...args: string[]): Promise<string> {
    out = '';
    const context: CliContext = {
      env,
      write: (text) => {
        out += text;
      },
      open(clock) {
        const db = openDatabase(env.ROTOR_DB as string);
        return { ...createServices(db, clock, loadPolicy(env.ROTOR_CONFIG)), close: () => db.close() };
      },
    };
    const program = new Command().exitOverride();
    registerRemindersCommand(program, context);
    registerCalendarCommand(program, context);
    await program.parseAsync(args, { from: 'user' });
    return out;
  }

  it('preview --at --json lists what is owed and sends and records nothing', async () => {
    const json = JSON.parse(await rotor('reminders', 'preview', '--at', '2027-01-06', '--json')) as Record<string, unknown>[];
    expect(json).toEqual([
      { secret: 'prod/postgres/connection_string', kind: 'due', cycle: '2027-01-06', recipient: 'UOWNER1', level: 'owner', deliverAt: '2027-01-06T09:00:00.000Z', daysUntilDue: 0 },
      { secret: 'prod/stripe/api_key', kind: 'warning:30', cycle: '2027-01-31', recipient: 'UOWNER1', level: 'owner', deliverAt: '2027-01-01T09:00:00.000Z', daysUntilDue: 25 },
    ]);
    expect(slack.calls).toEqual([]);
    const db = openDatabase(dbPath);
    expect(db.prepare('SELECT count(*) FROM reminder_ledger').pluck().get()).toBe(0);
    db.close();
    expect(await rotor('reminders', 'preview', '--at', '2027-01-06')).toContain('2 reminders owed');
  });

  it('run --at sends once; running it again sends nothing', async () => {
    expect(await rotor('reminders', 'run', '--at', '2027-01-06')).toContain('Sent 2 reminders in 2 messages');
    expect(slack.callsTo('chat.postMessage').map((call) => call.args.channel)).toEqual(['UOWNER1', 'UOWNER1']);
    expect(await rotor('reminders', 'run', '--at', '2027-01-06')).toContain('Sent 0 reminders');
    expect(slack.callsTo('chat.postMessage')).toHaveLength(2);
    expect(await rotor('reminders', 'preview', '--at', '2027-01-06', '--json')).toBe('[]\n');
  });

  it('refuses a bad --at, and run without a bot token, leaving the database unchanged', async () => {
    await expect(rotor('reminders', 'preview', '--at', 'next tuesday')).rejects.toThrow('--at next tuesday is not a date or time.');
    env.SLACK_BOT_TOKEN = undefined;
    await expect(rotor('reminders', 'run')).rejects.toThrow(/needs SLACK_BOT_TOKEN/);
    const db = openDatabase(dbPath);
    expect(db.prepare('SELECT count(*) FROM reminder_ledger').pluck().get()).toBe(0);
    db.close();
  });

  it('calendar prints an .ics and refuses bad options', async () => {
    const ics = await rotor('calendar', '--days', '3650');
    expect(ics).toMatch(/^BEGIN:VCALENDAR/);
    await expect(rotor('calendar', '--days', 'ten')).rejects.toThrow('--days ten is not a number of days.');
    await expect(rotor('calendar', '--owner', 'bob')).rejects.toThrow('--owner bob is not a Slack user id.');
  });
});
