import Database from 'better-sqlite3';
import { execFile, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/project-root.js';
import { rotor } from '../support/cli.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

const run = promisify(execFile);
const binary = join(projectRoot, 'dist', 'src', 'cli.js');

describe('rotor CLI', () => {
  let store: TempStore;
  beforeEach(() => {
    store = openTempStore();
  });
  afterEach(() => store.close());

  const seed = async () => {
    const file = join(store.dir, 'seed.yaml');
    writeFileSync(
      file,
      [
        '- {name: prod/postgres/connection_string, owner: U0123ABCD, last_rotated: "2026-07-01", interval_days: 90}',
        '- {name: prod/redis/password, owner: U0456EFGH, last_rotated: "2026-11-01", interval_days: 30}',
        '- {name: staging/stripe/secret_key, owner: U0123ABCD, last_rotated: "2026-11-20", interval_days: 90}',
        '- {name: dev/old/token, status: retired}',
      ].join('\n'),
    );
    expect((await rotor(store.path, 'import', file)).code).toBe(0);
  };

  it('prints help for every command and exits 0', async () => {
    for (const argv of [['--help'], ['import', '--help'], ['audit', '--help'], ['audit', 'export', '--help'], ['due', '--help']]) {
      const result = await rotor(store.path, ...argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Usage: rotor/);
    }
  });

  it('exits 2 with a message on usage errors', async () => {
    expect(await rotor(store.path, 'frobnicate')).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command 'frobnicate'/) });
    expect(await rotor(store.path, 'due', '--days', 'soon')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/expected a whole number of days from 1 to 365/),
    });
    expect(await rotor(store.path, 'overdue', '--at', 'yesterday')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--at yesterday is not a date/),
    });
    expect(await rotor(store.path, 'export', '--format', 'xml')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Allowed choices are yaml, json, csv/),
    });
  });

  it('lists overdue secrets most overdue first, and what comes due, as of a given date', async () => {
    await seed();
    const overdue = JSON.parse((await rotor(store.path, 'overdue', '--at', '2026-12-05', '--json')).stdout) as {
      name: string;
      days_overdue: number;
    }[];
    expect(overdue.map((secret) => [secret.name, secret.days_overdue])).toEqual([
      ['prod/postgres/connection_string', 67],
      ['prod/redis/password', 4],
    ]);
    const due = JSON.parse((await rotor(store.path, 'due', '--days', '30', '--at', '2026-11-22', '--json')).stdout) as {
      name: string;
      days_until_due: number;
    }[];
    expect(due.map((secret) => [secret.name, secret.days_until_due])).toEqual([['prod/redis/password', 9]]);
    const later = JSON.parse((await rotor(store.path, 'due', '--days', '90', '--at', '2026-11-22', '--json')).stdout) as { name: string }[];
    expect(later.map((secret) => secret.name)).toEqual(['prod/redis/password', 'staging/stripe/secret_key']);
    const mine = JSON.parse((await rotor(store.path, 'list', '--owner', 'U0123ABCD', '--json')).stdout) as { name: string }[];
    expect(mine.map((secret) => secret.name)).toEqual(['prod/postgres/connection_string', 'staging/stripe/secret_key']);
    expect(JSON.parse((await rotor(store.path, 'list', '--env', 'dev', '--json')).stdout)).toEqual([]);
    expect(JSON.parse((await rotor(store.path, 'list', '--env', 'dev', '--all', '--json')).stdout)).toHaveLength(1);
  });

  it('verifies the audit log and names the row an edit broke', async () => {
    await seed();
    expect(await rotor(store.path, 'audit', 'verify')).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/Audit log intact: 4 events/),
    });
    const other = new Database(store.path);
    other.prepare(`UPDATE audit_events SET actor = 'someone-else' WHERE seq = 3`).run();
    other.close();
    const broken = await rotor(store.path, 'audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/Audit log broken at event #3: its content does not match its hash/);
  });

  it('exports audit evidence for a date range as JSON lines and CSV', async () => {
    // The CLI stamps events with the wall clock (an audit time is never rehearsed), so the range
    // is the real days the import ran on: usually one, two when it straddled midnight UTC.
    const firstDay = DateTime.utc().toISODate() as string;
    await seed();
    const lastDay = DateTime.utc().toISODate() as string;
    const jsonl = await rotor(store.path, 'audit', 'export', '--since', firstDay, '--until', lastDay, '--format', 'jsonl');
    const events = jsonl.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; secret: string; hash: string });
    expect(events.map((event) => event.action)).toEqual(['secret.created', 'secret.created', 'secret.created', 'secret.created']);
    const dayAfter = DateTime.fromISO(lastDay, { zone: 'utc' }).plus({ days: 1 }).toISODate() as string;
    expect((await rotor(store.path, 'audit', 'export', '--since', dayAfter)).stdout).toBe('');
    const csv = await rotor(store.path, 'audit', 'export', '--format', 'csv');
    expect(csv.stdout.split('\n')[0]).toBe('seq,at,actor,action,secret,details,prev_hash,hash,scheme');
    expect(await rotor(store.path, 'audit', 'export', '--since', '2026-12-01', '--until', '2026-11-01')).toMatchObject({ code: 2 });
  });

  it('refuses to answer from a database that does not exist, and creates none', async () => {
    const missing = join(store.dir, 'typo', 'rotor.db');
    expect(await rotor(missing, 'list')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/No Rotor database at .*typo\/rotor.db\. Create it with `rotor migrate`/),
    });
    expect(await rotor(missing, 'overdue', '--json')).toMatchObject({ code: 2 });
    expect(existsSync(missing)).toBe(false);
    const file = join(store.dir, 'one.yaml');
    writeFileSync(file, '- name: prod/postgres/connection_string\n');
    expect(await rotor(missing, 'import', '--dry-run', file)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^Would add 1, change 0, leave 0 unchanged/),
    });
    expect(existsSync(missing)).toBe(false);
    expect(await rotor(missing, 'import', file)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Added 1/) });
    expect(existsSync(missing)).toBe(true);
  });

  it('refuses an empty --at rather than silently using now', async () => {
    expect(await rotor(store.path, 'overdue', '--at', '')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--at {2}is not a date|--at {2}is not a date/),
    });
  });

  it('backs up the database online, refusing to overwrite', async () => {
    await seed();
    const target = join(store.dir, 'backup.db');
    expect((await rotor(store.path, 'backup', target)).code).toBe(0);
    const copy = new Database(target, { readonly: true });
    expect(copy.prepare('SELECT count(*) FROM secrets').pluck().get()).toBe(4);
    copy.close();
    expect(await rotor(store.path, 'backup', target)).toMatchObject({ code: 2, stderr: expect.stringMatching(/already exists/) });
  });

  it('migrate upgrades a database made by an older release and says what it applied', async () => {
    await seed();
    const old = new Database(store.path);
    for (const table of [
      'reminder_weekly_digests',
      'reminder_sweeps',
      'secret_review_flags',
      'slack_user_cache',
      'reminder_snoozes',
      'reminder_ledger',
    ])
      old.exec(`DROP TABLE ${table}`);
    old.exec('DELETE FROM schema_migrations WHERE version = 2');
    old.close();
    const result = await rotor(store.path, 'migrate');
    expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/Applied 0002_reminders/) });
    expect((await rotor(store.path, 'audit', 'verify')).code).toBe(0);
    expect((await rotor(store.path, 'reminders', 'preview', '--json')).code).toBe(0);
  });

  it('refuses a backup into a folder that does not exist, saying what to do', async () => {
    const target = join(store.dir, 'missing', 'copy.db');
    expect(await rotor(store.path, 'backup', target)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/folder .*missing does not exist; create it first/),
    });
    expect(existsSync(target)).toBe(false);
  });

  it('stops quietly when its reader goes away (`rotor export | head`)', async () => {
    await seed();
    const child = spawn(process.execPath, [binary, 'export', '--format', 'csv'], {
      env: { ...process.env, ROTOR_DB: store.path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|at .*\.js/);
    expect(code).toBe(0);
  });

  it('runs as the packaged binary with exit codes 0, 1 and 2', async () => {
    expect(existsSync(binary)).toBe(true);
    const env = { ...process.env, ROTOR_DB: store.path };
    const ok = await run(process.execPath, [binary, 'migrate'], { env });
    expect(ok.stdout).toMatch(/up to date/);
    await expect(run(process.execPath, [binary, 'show', 'prod/nope/key'], { env })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/No secret named/),
    });
    const notSqlite = join(store.dir, 'text.db');
    writeFileSync(notSqlite, 'plain text, not a database '.repeat(100));
    await expect(run(process.execPath, [binary, 'list'], { env: { ...env, ROTOR_DB: notSqlite } })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/is not a SQLite database/),
    });
  });
});
