import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/core/project-root.js';

/**
 * The Node flags production starts the bot with: those of package.json's `start` script (`node
 * <flags> dist/src/main.js`; the Dockerfile's CMD carries the same, test/slack/transport/dockerfile.test.ts
 * holds them together). The bench launches Rotor's child, and bare Bolt's beside it, with them, so it
 * measures the bot as it runs against a floor started the same way.
 */
export function productionNodeFlags(): string[] {
  const scripts = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const words = (scripts.start ?? '').trim().split(/\s+/);
  if (words[0] !== 'node' || words[words.length - 1] !== 'dist/src/main.js')
    throw new Error(`package.json's start script is not "node <flags> dist/src/main.js": ${scripts.start}`);
  return words.slice(1, -1);
}
