import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, expect } from 'vitest';
import { isoInstant } from '../../src/core/clock.js';
import { projectRoot } from '../../src/core/project-root.js';
import type { AwsFaultServer } from '../fakes/aws-fault-server.js';
import type { SlackHarness } from './slack-app-harness.js';

const childJs = join(projectRoot, 'dist', 'test', 'support', 'rotor-child.js');

export interface RotorChild {
  eventsUrl: string;
  /** How the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
  /** What it wrote so far (its log and its errors), for a failure's message. */
  output(): string;
}

/** A bot process that has loaded the bot's modules and waits for its environment on stdin (test/support/rotor-child.ts). */
interface Loaded {
  process: ChildProcessByStdio<Writable, Readable, Readable>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * A process that loads the bot and then waits for its environment on stdin; given `startEnv`, one
 * started with that environment instead (what Node reads only at a process's start, NODE_OPTIONS
 * and what its loader hooks read, cannot come later), which ignores its stdin.
 */
function spawnLoaded(startEnv?: Record<string, string>): Loaded {
  // `npm test` builds first; a bare `vitest run` may not have.
  if (!existsSync(childJs))
    execFileSync(process.execPath, [
      join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(projectRoot, 'tsconfig.json'),
    ]);
  const child = spawn(process.execPath, [childJs], {
    env: { PATH: process.env.PATH ?? '', ...(startEnv ?? { ROTOR_CHILD_ENV_ON_STDIN: '1' }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A process that died before it was given its environment says so through `exited`.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, exited };
}

let spare: Loaded | undefined;
let keepSpare = false;

/**
 * For a file that starts many bot processes: each start takes a process that loaded the bot's
 * modules while the test went on (about a second and a half of CPU each), and loads the next one
 * meanwhile. The last one, never used, is killed after the file.
 */
export function useSpareRotorChildren(): void {
  beforeAll(() => {
    keepSpare = true;
    spare ??= spawnLoaded();
  });
  afterAll(async () => {
    keepSpare = false;
    const last = spare;
    spare = undefined;
    if (!last) return;
    // It was given no environment: it has touched nothing.
    last.process.kill('SIGKILL');
    await last.exited;
  });
}

/**
 * Starts the bot in its own process (test/support/rotor-child.ts) with `env`; resolves once it
 * takes requests, or fails after `startTimeoutMs` (a loaded machine starts it slowly).
 */
export async function startRotorChild(env: Record<string, string>, startTimeoutMs = 20_000): Promise<RotorChild> {
  // A spare was started without Node options: a bot that needs some (a loader hook) starts afresh.
  const taken = env.NODE_OPTIONS === undefined ? spare : undefined;
  if (taken) spare = undefined;
  const { process: child, exited } = taken ?? spawnLoaded(env.NODE_OPTIONS === undefined ? undefined : env);
  if (keepSpare) spare ??= spawnLoaded();
  child.stdin.end(`${JSON.stringify(env)}\n`);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Given its environment, it would go on serving and running its jobs on the test's database.
      child.kill('SIGKILL');
      reject(new Error(`the bot process did not start:\n${output}`));
    }, startTimeoutMs);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /rotor-child listening (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then(() => reject(new Error(`the bot process exited before it started:\n${output}`)));
  });
  return { eventsUrl: `http://127.0.0.1:${port}/slack/events`, exited, kill: () => child.kill('SIGKILL'), output: () => output };
}

/**
 * The bot in another process on the harness's database, its AWS calls through `proxy`: `act`
 * sends it a Slack request, and the process is SIGKILLed the moment moto has answered the
 * `skip + 1`-th `operation` (the store changed, Rotor not yet told). Then the harness's bot starts
 * again on the same database, as after a crash and a restart.
 */
export async function killBetweenStoreAndRecord(
  h: SlackHarness,
  proxy: AwsFaultServer,
  at: { operation: string; skip?: number },
  act: () => Promise<unknown>,
): Promise<void> {
  await killInChild(
    h,
    {
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
    `${at.operation} #${(at.skip ?? 0) + 1}`,
    (kill) => {
      proxy.clear();
      for (let index = 0; index < (at.skip ?? 0); index += 1) proxy.queue({ kind: 'pass' }, 1, at.operation);
      proxy.queue({ kind: 'forward-then-hang', then: kill }, 1, at.operation);
      return () => proxy.clear();
    },
    act,
  );
}

/**
 * The bot in another process on the harness's database, with `env` besides the bot's: `arm` is
 * given the kill, to call the moment the store has done what the test waits for (`what`), and
 * returns what disarms it; `act` sends the bot a Slack request; once it is SIGKILLed (and the
 * fault disarmed), the harness's bot starts again on the same database, as after a crash and a restart.
 */
export async function killInChild(
  h: SlackHarness,
  env: Record<string, string>,
  what: string,
  arm: (kill: () => void) => () => void,
  act: () => Promise<unknown>,
): Promise<void> {
  await h.stopFor(async () => {
    const child = await startRotorChild({
      ...h.botEnv,
      LOG_LEVEL: 'warn',
      ROTOR_TEST_AT: isoInstant(h.store.clock.now()),
      ...env,
    });
    let killed = false;
    const disarm = arm(() => {
      killed = true;
      child.kill();
    });
    const inProcess = h.eventsUrl;
    h.eventsUrl = child.eventsUrl;
    try {
      // The request's ack may or may not arrive before the kill.
      await act().catch(() => undefined);
    } finally {
      h.eventsUrl = inProcess;
    }
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000));
    const ended = await Promise.race([child.exited, timeout]);
    if (ended === 'timeout') {
      child.kill();
      throw new Error(`the bot process never reached ${what}:\n${child.output()}`);
    }
    disarm();
    expect(killed, `killed at ${what}`).toBe(true);
    expect(ended.signal).toBe('SIGKILL');
  });
}
