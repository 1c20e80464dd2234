#!/usr/bin/env node
// The `rotor` command: the compiled CLI, built by `npm ci` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('rotor: the CLI is not built yet; run `npm run build` in the Rotor folder first.\n');
  process.exit(1);
}
await import(cli.href);
