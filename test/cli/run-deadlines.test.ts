import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/project-root.js';
import { openDatabase } from '../../src/storage/database.js';
import { AwsFaultServer } from '../fakes/aws-fault-server.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { POLICY_YAML } from '../reminders/support/reminder-harness.js';
import { operator } from '../support/actors.js';
import { runRotor, type CliResult } from '../support/cli.js';
import { openTempStore, snapshotTables, type TempStore } from '../support/temp-db.js';

const OWNERS = Array.from({ length: 40 }, (_, index) => `UOWNER${String(index).padStart(2, '0')}`);

describe('rotor reminders run with Slack hanging', () => {
  let dir: string;
  let dbPath: string;
  let slack: FakeSlackApi;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rotor-deadline-'));
    dbPath = join(dir, 'rotor.db');
    writeFileSync(join(dir, 'policy.yml'), POLICY_YAML);
    slack = new FakeSlackApi();
    await slack.start();
    for (const owner of OWNERS) slack.addUser(owner, 'UTC');
    env = {
      ROTOR_DB: dbPath,
      ROTOR_CONFIG: join(dir, 'policy.yml'),
      SLACK_BOT_TOKEN: 'xoxb-' + randomBytes(8).toString('hex'),
      SLACK_API_URL: slack.apiUrl,
    };
    // 40 secrets due on the sweep's day, each another person's: 40 messages to send.
    writeFileSync(
      join(dir, 'inventory.yaml'),
      OWNERS.map(
        (owner, index) => `- {name: prod/svc${index}/api_key, owner: ${owner}, interval_days: 90, last_rotated: "2026-10-08"}`,
      ).join('\n'),
    );
    expect((await rotor('import', join(dir, 'inventory.yaml'))).code).toBe(0);
  });

  afterEach(async () => {
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function rotor(...argv: string[]): Promise<CliResult> {
    return runRotor(['--db', dbPath, '--config', join(dir, 'policy.yml'), ...argv], env);
  }

  function ledger(): Record<string, number> {
    const db = openDatabase(dbPath);
    try {
      const rows = db.prepare('SELECT state, count(*) AS n FROM reminder_ledger GROUP BY state').all() as { state: string; n: number }[];
      return Object.fromEntries(rows.map((row) => [row.state, row.n]));
    } finally {
      db.close();
    }
  }

  it('stops at ROTOR_RUN_DEADLINE_SECONDS, says what it sent and what it left, and exits non-zero', async () => {
    slack.script('chat.postMessage', ...OWNERS.map(() => ({ delayMs: 20_000 })));
    // Long enough for the sweep to claim some reminders on a loaded machine, far short of Slack's 20 s answers.
    env.ROTOR_RUN_DEADLINE_SECONDS = '5';
    const result = await rotor('reminders', 'run', '--at', '2027-01-06T10:00:00Z');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Sent 0 reminders in 0 messages/);
    const notSent = result.stdout.split('\n').filter((line) => line.startsWith('Not sent: '));
    // Every one of the 40 is accounted for: in flight (claimed, kept for reconciliation) or still owed.
    expect(notSent).toHaveLength(40);
    const inFlight = notSent.filter((line) => line.includes('deadline while sending')).length;
    expect(inFlight).toBeGreaterThan(0);
    expect(notSent.filter((line) => line.includes('deadline before sending; the next sweep sends it'))).toHaveLength(40 - inFlight);
    expect(result.stderr).toMatch(
      new RegExp(`stopped at its 5 s deadline .*: 0 reminders sent, ${40 - inFlight} still owed and ${inFlight} in flight`),
    );
    expect(ledger()).toEqual({ claimed: inFlight });
  });

  it('--deadline sets it for one run, and a bad one is refused before anything is sent', async () => {
    const bad = await rotor('reminders', 'run', '--deadline', 'soon');
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('expected a whole number of at least 1, got "soon"') });
    expect(slack.calls).toEqual([]);
    expect(ledger()).toEqual({});
    env.ROTOR_RUN_DEADLINE_SECONDS = 'later';
    expect(await rotor('reminders', 'run')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('ROTOR_RUN_DEADLINE_SECONDS must be a whole number of seconds'),
    });
    expect(slack.calls).toEqual([]);

    env.ROTOR_RUN_DEADLINE_SECONDS = '600';
    slack.script('users.info', ...OWNERS.map(() => ({ delayMs: 20_000 })));
    const result = await rotor('reminders', 'run', '--at', '2027-01-06T10:00:00Z', '--deadline', '1', '--json');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { sent: number; failures: { error: string }[] };
    expect(report.sent).toBe(0);
    expect(report.failures).toHaveLength(40);
    expect(result.stderr).toMatch(/stopped at its 1 s deadline/);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(ledger()).toEqual({});
  });

  it('the rotor process exits once it has reported, although Slack calls are still hanging', async () => {
    // The packaged binary, as `npm test` builds it. Without the exit, each hanging users.info
    // would keep it alive through its client's timeouts and retries, about a minute.
    const binary = join(projectRoot, 'dist', 'src', 'cli.js');
    expect(existsSync(binary)).toBe(true);
    slack.script('users.info', ...OWNERS.map(() => ({ delayMs: 120_000 })));
    const args = [binary, '--db', dbPath, '--config', join(dir, 'policy.yml'), 'reminders', 'run', '--at', '2027-01-06T10:00:00Z'];
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, args, { env: { ...process.env, ...env, ROTOR_RUN_DEADLINE_SECONDS: '1' } }, (error, stdout, stderr) =>
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Sent 0 reminders/);
    expect(result.stderr).toMatch(/rotor: The reminder sweep stopped at its 1 s deadline/);
  });
});

describe('rotor sync with the AWS endpoint frozen', () => {
  const saved: Record<string, string | undefined> = {};
  const faults = new AwsFaultServer();
  let store: TempStore;

  beforeAll(async () => {
    await faults.start();
    const env = {
      AWS_ENDPOINT_URL: faults.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: `test${randomBytes(4).toString('hex')}`,
      AWS_SECRET_ACCESS_KEY: randomBytes(12).toString('hex'),
    };
    for (const [name, value] of Object.entries(env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await faults.stop();
  });
  beforeEach(() => {
    store = openTempStore();
    for (const name of ['prod/app/db', 'prod/app/cache', 'prod/app/queue']) {
      store.inventoryService.create({ name, provider: 'aws', providerRef: name, lastRotated: '2026-10-01' }, operator('U0ADMIN'), 'test');
    }
  });
  afterEach(() => store.close());

  it('stops at --deadline, lists every secret it did not check, writes nothing and exits non-zero', async () => {
    faults.queue({ kind: 'hang' }, 50);
    const before = snapshotTables(store);
    const result = await runRotor(['--db', store.path, 'sync', '--deadline', '1']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Checked 0 provider-backed secrets\./);
    expect(result.stdout).toMatch(
      /Not checked this time:\n(?: {2}prod\/app\/\w+: not checked: rotor sync stopped at its 1 s deadline[^\n]*\n?){3}/,
    );
    expect(result.stderr).toMatch(
      /rotor sync stopped at its 1 s deadline .*0 of 3 provider-backed secrets checked, 3 not checked this time/,
    );
    expect(snapshotTables(store)).toEqual(before);
  });
});
