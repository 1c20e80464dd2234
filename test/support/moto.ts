import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { freePort } from './free-port.js';
import { keepEnvironment } from './process-environment.js';

export { freePort };

/** A running moto_server on 127.0.0.1, for tests of the real AWS SDK. */
export interface MotoServer {
  endpoint: string;
  /** Clears every secret (moto's `POST /moto-api/reset`). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

let motoOnPath: boolean | undefined;

/**
 * Whether moto_server runs here. Asked once per process: `moto_server --help` starts Python
 * (through pyenv's shim, ~1 s of CPU), and ~80 suites ask while vitest collects them, each
 * blocking its worker.
 */
export function motoAvailable(): boolean {
  motoOnPath ??= spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
  return motoOnPath;
}

/**
 * Whether the AWS suite runs. Without moto_server it is skipped with a visible message, except
 * under CI=true, where a missing moto_server must fail the run.
 */
export function shouldRunMotoSuite(suite: string): boolean {
  if (motoAvailable()) return true;
  if (process.env.CI === 'true') throw new Error(`moto_server is not on PATH; ${suite} must run under CI=true. Install moto[server].`);
  console.warn(`\n*** SKIPPING ${suite}: moto_server is not on PATH (install moto[server] to run it) ***\n`);
  return false;
}

export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilReady(
    endpoint,
    () => child.exitCode !== null,
    () => stderr,
    () => child.kill('SIGKILL'),
  );
  return { endpoint, reset: () => resetMoto(endpoint), stop: () => stopChild(child) };
}

interface WorkerMotoRecord {
  endpoint: string;
  pid: number;
}

/**
 * The moto_server of this vitest worker: started by the first suite of the worker that needs
 * one, then reused by every later test file the worker runs (files run one at a time in a
 * worker, and each suite resets moto before each test), and stopped by the global teardown of
 * test/support/moto-workers.ts. Starting moto takes seconds; once per worker instead of once
 * per suite is most of the AWS suites' set-up time.
 */
async function workerMoto(): Promise<MotoServer> {
  const directory = inject('motoWorkersDirectory');
  if (!directory) return startMoto();
  const record = join(directory, `worker-${process.env.VITEST_POOL_ID ?? '0'}.json`);
  if (existsSync(record)) {
    const { endpoint } = JSON.parse(readFileSync(record, 'utf8')) as WorkerMotoRecord;
    if (await answers(endpoint)) return { endpoint, reset: () => resetMoto(endpoint), stop: async () => undefined };
  }
  const port = await freePort();
  const log = join(directory, `worker-${process.env.VITEST_POOL_ID ?? '0'}.log`);
  const logFd = openSync(log, 'a');
  // Detached: the worker process may end before the run does; the global teardown stops it.
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', logFd], detached: true });
  closeSync(logFd);
  child.unref();
  const endpoint = `http://127.0.0.1:${port}`;
  const tail = () => (existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : '');
  await waitUntilReady(
    endpoint,
    () => child.exitCode !== null,
    tail,
    () => child.kill('SIGKILL'),
  );
  if (child.pid === undefined) throw new Error('moto_server started without a pid');
  writeFileSync(record, JSON.stringify({ endpoint, pid: child.pid } satisfies WorkerMotoRecord));
  return { endpoint, reset: () => resetMoto(endpoint), stop: async () => undefined };
}

async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset failed: ${response.status}`);
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    return (await fetch(`${endpoint}/moto-api/`)).status < 500;
  } catch {
    return false;
  }
}

/** The variables useMotoEnvironment sets or clears. */
const MOTO_ENVIRONMENT = ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE'];

/**
 * Points the SDK's standard chain at moto, with throwaway credentials made at run time; returns
 * what puts the variables back as they were, for the suite's end.
 */
export function useMotoEnvironment(endpoint: string): () => void {
  const restore = keepEnvironment(MOTO_ENVIRONMENT);
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = `test${randomBytes(4).toString('hex')}`;
  process.env.AWS_SECRET_ACCESS_KEY = randomBytes(12).toString('hex');
  delete process.env.AWS_PROFILE;
  return restore;
}

export interface MotoSuite {
  /** The real SDK, pointed at moto through the standard chain, for arranging what tests need. */
  readonly sdk: SecretsManagerClient;
  readonly endpoint: string;
}

/**
 * moto for the enclosing `describe`: this worker's moto_server, reset before the suite and
 * before each test, with the SDK's environment pointed at it. A scenario (one story cut into
 * sequential `it`s over shared state) passes `{ scenario: true }`: reset before the suite only.
 */
export function useMoto(options: { scenario?: boolean } = {}): MotoSuite {
  let moto: MotoServer | undefined;
  let sdk: SecretsManagerClient | undefined;
  let restoreEnvironment: (() => void) | undefined;
  beforeAll(async () => {
    moto = await workerMoto();
    await moto.reset();
    restoreEnvironment = useMotoEnvironment(moto.endpoint);
    sdk = new SecretsManagerClient({});
  });
  afterAll(async () => {
    sdk?.destroy();
    restoreEnvironment?.();
    await moto?.stop();
  });
  if (!options.scenario)
    beforeEach(async () => {
      await moto?.reset();
    });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('moto is not running: use useMoto() inside a describe and read it inside a test');
    return value;
  };
  return {
    get sdk() {
      return started(sdk);
    },
    get endpoint() {
      return started(moto).endpoint;
    },
  };
}

async function waitUntilReady(endpoint: string, exited: () => boolean, stderr: () => string, kill: () => void): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (exited()) throw new Error(`moto_server exited early: ${stderr()}`);
    if (await answers(endpoint)) return;
    await sleep(100);
  }
  kill();
  throw new Error(`moto_server did not start on ${endpoint}: ${stderr()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
