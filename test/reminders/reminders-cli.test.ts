import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { runRotor, type CliResult } from '../support/cli.js';
import { projectRoot } from '../../src/core/project-root.js';
import { openDatabase } from '../../src/storage/database.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { POLICY_YAML } from './support/reminder-harness.js';

const INVENTORY_YAML = [
  '- {name: prod/stripe/api_key, owner: UOWNER1, backup_owner: UBACK1, team: payments, consumers: [checkout], interval_days: 90, last_rotated: "2026-11-02"}',
  '- {name: prod/postgres/connection_string, owner: UOWNER1, interval_days: 90, last_rotated: "2026-10-08"}',
  '- {name: staging/redis/password, owner: UOWNER2, interval_days: 90, last_rotated: "2026-11-10"}',
].join('\n');

describe('rotor reminders preview / run', () => {
  let dir: string;
  let dbPath: string;
  let slack: FakeSlackApi;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rotor-cli-'));
    dbPath = join(dir, 'rotor.db');
    writeFileSync(join(dir, 'policy.yml'), POLICY_YAML);
    slack = new FakeSlackApi();
    await slack.start();
    for (const user of ['UOWNER1', 'UOWNER2', 'UBACK1']) slack.addUser(user, 'UTC');
    env = {
      ROTOR_DB: dbPath,
      ROTOR_CONFIG: join(dir, 'policy.yml'),
      SLACK_BOT_TOKEN: 'xoxb-' + randomBytes(8).toString('hex'),
      SLACK_API_URL: slack.apiUrl,
    };
    writeFileSync(join(dir, 'inventory.yaml'), INVENTORY_YAML);
    const imported = await rotor('import', join(dir, 'inventory.yaml'));
    expect(imported.stderr).toBe('');
  });

  afterEach(async () => {
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function rotor(...argv: string[]): Promise<CliResult> {
    return runRotor(['--db', dbPath, '--config', join(dir, 'policy.yml'), ...argv], env);
  }

  it('preview --at --json lists what is owed at that instant and sends and records nothing', async () => {
    const preview = await rotor('reminders', 'preview', '--at', '2027-01-06T10:00:00Z', '--json');
    expect(preview.code).toBe(0);
    expect(JSON.parse(preview.stdout)).toEqual([
      {
        secret: 'prod/postgres/connection_string',
        kind: 'due',
        cycle: '2027-01-06',
        recipient: 'UOWNER1',
        level: 'owner',
        deliverAt: '2027-01-06T09:00:00.000Z',
        daysUntilDue: 0,
      },
      {
        secret: 'prod/stripe/api_key',
        kind: 'warning:30',
        cycle: '2027-01-31',
        recipient: 'UOWNER1',
        level: 'owner',
        deliverAt: '2027-01-01T09:00:00.000Z',
        daysUntilDue: 25,
      },
    ]);
    expect(slack.calls).toEqual([]);
    expect(ledgerRows()).toBe(0);
    expect((await rotor('reminders', 'preview', '--at', '2027-01-06T10:00:00Z')).stdout).toContain('2 reminders owed');
    // A bare date is the start of that UTC day: before the 09:00 due notice, and a warning is no
    // longer news on the due day, so only the other secret's 30-day warning is owed.
    const atMidnight = JSON.parse((await rotor('reminders', 'preview', '--at', '2027-01-06', '--json')).stdout) as { kind: string }[];
    expect(atMidnight.map((row) => row.kind)).toEqual(['warning:30']);
  });

  it('run --at sends once against the imported inventory; running it again sends nothing', async () => {
    expect(await rotor('reminders', 'run', '--at', '2027-01-06T10:00:00Z')).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Sent 2 reminders in 1 message'),
    });
    // Both are the same person's, so they arrive as one digest.
    expect(slack.callsTo('chat.postMessage').map((call) => call.args.channel)).toEqual(['UOWNER1']);
    expect(await rotor('reminders', 'run', '--at', '2027-01-06T10:00:00Z')).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Sent 0 reminders'),
    });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect((await rotor('reminders', 'preview', '--at', '2027-01-06T10:00:00Z', '--json')).stdout).toBe('[]\n');
  });

  it('refuses a bad --at, and run without a bot token, leaving the database unchanged', async () => {
    expect(await rotor('reminders', 'preview', '--at', 'next tuesday')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--at next tuesday is not a date'),
    });
    env.SLACK_BOT_TOKEN = undefined;
    expect(await rotor('reminders', 'run')).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs SLACK_BOT_TOKEN/) });
    expect(ledgerRows()).toBe(0);
    expect(slack.calls).toEqual([]);
  });

  it('calendar prints an .ics and refuses bad options', async () => {
    // The calendar starts from the wall clock, so the secret it must show is rotated relative to it.
    const rotatedYesterday = DateTime.utc().minus({ days: 1 }).toISODate() as string;
    writeFileSync(
      join(dir, 'recent.yaml'),
      `- {name: prod/calendar/api_key, owner: UOWNER1, interval_days: 90, last_rotated: "${rotatedYesterday}"}\n`,
    );
    expect((await rotor('import', join(dir, 'recent.yaml'))).code).toBe(0);
    const ics = await rotor('calendar', '--days', '365');
    expect(ics).toMatchObject({ code: 0, stdout: expect.stringMatching(/^BEGIN:VCALENDAR/) });
    expect(ics.stdout).toContain('SUMMARY:Secrets rotation — prod/calendar/api_key');
    expect(await rotor('calendar', '--days', 'ten')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('expected a whole number of days from 1 to 365, got "ten"'),
    });
    expect(await rotor('calendar', '--owner', 'bob')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--owner bob is not a Slack member id'),
    });
  });

  it('two `rotor reminders run` processes started together on one database send each reminder once', async () => {
    // The packaged binary, as in the lead's CLI test: `npm test` builds it first.
    const binary = join(projectRoot, 'dist', 'src', 'cli.js');
    expect(existsSync(binary)).toBe(true);
    const run = promisify(execFile);
    const args = [binary, '--db', dbPath, '--config', join(dir, 'policy.yml'), 'reminders', 'run', '--at', '2027-01-06T10:00:00Z'];
    const results = await Promise.all([
      run(process.execPath, args, { env: { ...process.env, ...env } }),
      run(process.execPath, args, { env: { ...process.env, ...env } }),
    ]);
    const sent = results.map((result) => Number(/Sent (\d+) reminder/.exec(result.stdout)?.[1]));
    expect(sent[0]! + sent[1]!).toBe(2);
    // Both reminders are the same owner's: one digest, whichever process won the claim.
    const keys = slack.messages.flatMap((message) =>
      (message.metadata as { event_payload: { keys: string } }).event_payload.keys.split(' '),
    );
    expect(slack.messages).toHaveLength(1);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
    // Two CLI processes, each loading Rotor, on a 2-core machine shared with the other test workers.
  }, 60_000);

  function ledgerRows(): number {
    const db = openDatabase(dbPath);
    try {
      return db.prepare('SELECT count(*) FROM reminder_ledger').pluck().get() as number;
    } finally {
      db.close();
    }
  }
});
