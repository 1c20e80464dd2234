import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionNodeFlags } from '../../../bench/support/production-flags.js';
import { projectRoot } from '../../../src/core/project-root.js';
import { FakeSlackApi } from '../../fakes/fake-slack-api.js';
import { generateSlackCredentials } from '../../support/slack-signing.js';

const mainJs = join(projectRoot, 'dist', 'src', 'main.js');
/** `npm start`'s arguments: its Node flags, then the entry point. */
const startArgs = [...productionNodeFlags(), mainJs];

/** The exec-form command of the Dockerfile's HEALTHCHECK. */
function dockerHealthcheck(): string[] {
  const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const match = /^HEALTHCHECK .*?CMD (\[.*\])$/m.exec(dockerfile);
  if (!match) throw new Error('Dockerfile has no exec-form HEALTHCHECK');
  return JSON.parse(match[1] as string) as string[];
}

/** Only what Node needs: nothing from the developer's own Slack set-up leaks into the child. */
const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function runToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, startArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Resolves once the child logs a line containing `text` on stdout. */
function waitForOutput(child: ChildProcess, text: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`child never logged "${text}"; output so far:\n${seen}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before logging "${text}":\n${seen}`)));
  });
}

describe('node dist/src/main.js (what `npm start` runs)', () => {
  const fake = new FakeSlackApi();
  let dir: string;

  beforeAll(async () => {
    // `npm test` builds first; a bare `vitest run` may not have.
    if (!existsSync(mainJs))
      execFileSync(process.execPath, [
        join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        join(projectRoot, 'tsconfig.json'),
      ]);
    await fake.start();
    dir = mkdtempSync(join(tmpdir(), 'rotor-main-'));
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without Slack variables exits non-zero with one clear line naming them and the README section', async () => {
    const result = await runToExit({ ...baseEnv(), ROTOR_DB: join(dir, 'never.db') });
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('SLACK_BOT_TOKEN');
    expect(lines[0]).toContain('SLACK_SIGNING_SECRET');
    expect(lines[0]).toContain('README');
    expect(existsSync(join(dir, 'never.db'))).toBe(false);
  });

  it('with a wrong cron schedule or half a Vault configuration exits with one line naming the variable, and no stack trace', async () => {
    const credentials = generateSlackCredentials();
    const slack = { SLACK_BOT_TOKEN: credentials.botToken, SLACK_SIGNING_SECRET: credentials.signingSecret, SLACK_API_URL: fake.apiUrl };
    const cases: [Record<string, string>, string][] = [
      [
        { ROTOR_REMINDER_CRON: 'every-hour' },
        'rotor: Environment variable ROTOR_REMINDER_CRON is not a cron schedule ("every-hour": expected 5 or 6 fields but got 1); write five fields in UTC, e.g. "*/15 * * * *".',
      ],
      [
        { VAULT_ADDR: 'https://vault.example.com:8200' },
        'rotor: Environment variable VAULT_TOKEN is not set but VAULT_ADDR is: set both to use Vault, or unset VAULT_ADDR to run without it.',
      ],
    ];
    for (const [extra, line] of cases) {
      const result = await runToExit({ ...baseEnv(), ...slack, ...extra, ROTOR_DB: join(dir, 'never.db'), PORT: String(await freePort()) });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([line]);
      expect(result.stdout).toBe('');
    }
    expect(existsSync(join(dir, 'never.db'))).toBe(false);
  });

  it('with a token Slack rejects exits non-zero with one clear line', async () => {
    const credentials = generateSlackCredentials();
    fake.script('auth.test', { error: 'invalid_auth' });
    const result = await runToExit({
      ...baseEnv(),
      SLACK_BOT_TOKEN: credentials.botToken,
      SLACK_SIGNING_SECRET: credentials.signingSecret,
      SLACK_API_URL: fake.apiUrl,
      ROTOR_DB: join(dir, 'rejected.db'),
      PORT: String(await freePort()),
      LOG_LEVEL: 'silent',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('Slack rejected SLACK_BOT_TOKEN (invalid_auth)')]);
  });

  it('with them starts in HTTP mode, answers /healthz 200, and stops cleanly on SIGTERM', async () => {
    const credentials = generateSlackCredentials();
    const port = await freePort();
    const child = spawn(process.execPath, startArgs, {
      env: {
        ...baseEnv(),
        SLACK_BOT_TOKEN: credentials.botToken,
        SLACK_SIGNING_SECRET: credentials.signingSecret,
        SLACK_API_URL: fake.apiUrl,
        ROTOR_DB: join(dir, 'rotor.db'),
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await waitForOutput(child, 'Rotor is running');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', database: 'ok', reminders: 'ok' });
      // The Dockerfile's HEALTHCHECK command, run as Docker would run it inside the container.
      const [program, ...args] = dockerHealthcheck();
      expect(program).toBe('node');
      execFileSync(process.execPath, args, { env: { ...baseEnv(), PORT: String(port) } });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
