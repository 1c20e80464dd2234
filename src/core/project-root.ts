import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding package.json and migrations/, found by walking up from this file so
 * the same code works from `src/` under vitest and from `dist/src/` when built.
 */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the Rotor project root (package.json beside migrations/)');
    dir = parent;
  }
}

export const projectRoot = findProjectRoot();
export const migrationsDir = join(projectRoot, 'migrations');
