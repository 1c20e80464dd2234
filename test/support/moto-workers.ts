import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /**
     * The run's directory: where each worker records the moto_server it started (test/support/moto.ts)
     * and keeps its PostgreSQL template (test/support/postgres.ts).
     */
    motoWorkersDirectory: string;
  }
}

/**
 * Global set-up of the run: a directory for the workers' moto_servers and PostgreSQL templates,
 * and a teardown that stops every moto_server and removes the directory once the last test file has run.
 */
export default function setup(project: TestProject): () => Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'rotor-moto-workers-'));
  // Traversable by the `postgres` user, which owns the templates when the tests run as root.
  chmodSync(directory, 0o711);
  project.provide('motoWorkersDirectory', directory);
  return async () => {
    const pids = readdirSync(directory)
      .filter((name) => name.endsWith('.json'))
      .map((name) => (JSON.parse(readFileSync(join(directory, name), 'utf8')) as { pid: number }).pid);
    for (const pid of pids) signal(pid, 'SIGTERM');
    for (let waited = 0; waited < 30 && pids.some(alive); waited += 1) await sleep(100);
    for (const pid of pids.filter(alive)) signal(pid, 'SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  };
}

/** Signals the moto_server's process group (it was started detached, as its leader). */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(-pid, name);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
