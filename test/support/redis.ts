import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createClient } from '@redis/client';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './moto.js';

/** A real redis-server on 127.0.0.1: no persistence, ACL users available. */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Runs one command as the `default` user (no password), for arranging what a test needs. */
  command(args: string[]): Promise<unknown>;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Extra `--name value` arguments, e.g. `['--rename-command', 'ACL', '']` for a server without ACL. */
  extraArgs?: string[];
}

export function findRedisServer(): string | null {
  const path = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  return path || null;
}

/**
 * Whether a Redis suite runs. Without redis-server it is skipped with a visible message, except
 * under CI=true, where a missing redis-server must fail the run.
 */
export function shouldRunRedisSuite(suite: string): boolean {
  if (findRedisServer()) return true;
  if (process.env.CI === 'true')
    throw new Error(`redis-server is not on PATH; ${suite} must run under CI=true. Install the Debian package redis-server.`);
  console.warn(`\n*** SKIPPING ${suite}: redis-server is not on PATH (install redis-server to run it) ***\n`);
  return false;
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server is not installed');
  const port = await freePort();
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const command = async (args: string[]) => {
    const client = createClient({ socket: { host: '127.0.0.1', port, connectTimeout: 2_000, reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.sendCommand(args);
    } finally {
      client.destroy();
    }
  };
  try {
    await waitUntilReady(command, child, () => output);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { host: '127.0.0.1', port, command, stop: () => stopChild(child) };
}

/**
 * One redis-server for the enclosing `describe` (a test file): started before its tests,
 * stopped after them. The returned server reads through to the running one, so it can be kept
 * in a `const` at describe level and used inside tests.
 */
export function useRedis(options: RedisServerOptions = {}): RedisServer {
  let running: RedisServer | undefined;
  beforeAll(async () => {
    running = await startRedis(options);
  }, 30_000);
  afterAll(async () => {
    await running?.stop();
  });
  const started = (): RedisServer => {
    if (!running) throw new Error('redis-server is not running: use useRedis() inside a describe and read it inside a test');
    return running;
  };
  return {
    host: '127.0.0.1',
    get port() {
      return started().port;
    },
    command: (args) => started().command(args),
    stop: () => started().stop(),
  };
}

async function waitUntilReady(command: (args: string[]) => Promise<unknown>, child: ChildProcess, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`redis-server exited early: ${output()}`);
    try {
      if ((await command(['PING'])) === 'PONG') return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer PING: ${output()}`);
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
