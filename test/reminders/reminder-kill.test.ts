import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/project-root.js';
import { formatKey } from '../../src/reminders/reminder.js';
import { deliveredKeys, openHarness, POLICY_YAML, type Harness } from './support/reminder-harness.js';
import { operator } from '../support/actors.js';

const crashingSweep = join(projectRoot, 'dist', 'test', 'reminders', 'support', 'crashing-sweep.js');
const AT = '2027-01-24T10:00:00Z';

/** Runs one sweep in a child process that SIGKILLs itself at `crashAt`; resolves with how it ended. */
function runCrashingSweep(
  h: Harness,
  policyPath: string,
  crashAt: 'after-claim' | 'after-send',
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [crashingSweep, crashAt, AT], {
      env: {
        PATH: process.env.PATH ?? '',
        ROTOR_DB: h.store.path,
        ROTOR_CONFIG: policyPath,
        SLACK_BOT_TOKEN: h.token,
        SLACK_API_URL: h.slack.apiUrl,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('a sweep process killed (SIGKILL) mid-sweep, then swept again in-process: every reminder exactly once', () => {
  let h: Harness;
  let policyPath: string;
  beforeEach(async () => {
    // `npm test` builds first; a bare `vitest run` may not have.
    if (!existsSync(crashingSweep))
      execFileSync(process.execPath, [
        join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        join(projectRoot, 'tsconfig.json'),
      ]);
    h = await openHarness({ at: AT });
    policyPath = join(h.store.dir, 'policy.yml');
    writeFileSync(policyPath, POLICY_YAML);
    // UOWN1 and UOWN2 get one DM each; UOWN3 owes three, so gets one digest carrying three keys.
    const owners = ['UOWN1', 'UOWN2', 'UOWN3', 'UOWN3', 'UOWN3'];
    for (const owner of new Set(owners)) h.slack.addUser(owner, 'UTC');
    owners.forEach((owner, index) =>
      h.store.inventoryService.create(
        { name: `prod/svc${index + 1}/api_key`, owner, intervalDays: 90, lastRotated: '2026-11-02T10:00:00Z' },
        operator('UADMIN1'),
        'test',
      ),
    );
  });
  afterEach(() => h.close());

  const owedKeys = () =>
    h
      .sweeper()
      .preview()
      .map((reminder) => formatKey(reminder.key))
      .sort();
  /** Every key carried by a chat.postMessage Slack received, with repeats. */
  const postedKeys = () =>
    h
      .posts()
      .flatMap((post) => post.keys)
      .sort();
  const claimedKeys = () =>
    (
      h.store.db
        .prepare(`SELECT secret_id || '/' || cycle || '/' || kind AS key FROM reminder_ledger WHERE state = 'claimed' ORDER BY 1`)
        .pluck()
        .all() as string[]
    ).sort();
  const ledgerStates = () => h.store.db.prepare('SELECT state, COUNT(*) AS n FROM reminder_ledger GROUP BY state ORDER BY state').all();

  it.each(['after-claim', 'after-send'] as const)('killed %s', async (crashAt) => {
    const owed = owedKeys();
    expect(owed).toHaveLength(5);

    const crash = await runCrashingSweep(h, policyPath, crashAt);
    expect(crash).toMatchObject({ signal: 'SIGKILL', code: null });
    const leftClaimed = claimedKeys();
    expect(leftClaimed.length).toBeGreaterThan(0);
    const beforeRecovery = postedKeys();
    if (crashAt === 'after-send') expect(beforeRecovery.length).toBeGreaterThan(0);
    if (crashAt === 'after-claim') expect(beforeRecovery).toEqual([]);

    // A sweep inside the claim timeout sends what the dead process never claimed, and leaves its claims alone.
    h.store.clock.advance({ minutes: 5 });
    await h.sweeper().sweep();
    expect(claimedKeys()).toEqual(leftClaimed);
    expect(postedKeys().filter((key) => leftClaimed.includes(key))).toEqual(beforeRecovery.filter((key) => leftClaimed.includes(key)));
    expect(new Set(postedKeys()).size).toBe(postedKeys().length);

    h.store.clock.advance({ minutes: 6 });
    const report = await h.sweeper().sweep();
    if (crashAt === 'after-send') expect(report.reconciled).toBeGreaterThan(0);
    if (crashAt === 'after-claim') expect(report.released).toBeGreaterThan(0);
    await h.sweeper().sweep();

    expect(postedKeys()).toEqual(owed);
    expect(deliveredKeys(h.slack).sort()).toEqual(owed);
    expect(ledgerStates()).toEqual([{ state: 'sent', n: 5 }]);
  });
});
