#!/usr/bin/env node
import { runCli } from './cli/program.js';
import { quietAwsSdkNodeWarning } from './core/process-warnings.js';

quietAwsSdkNodeWarning();

// `rotor export | head`: once the reader has gone there is no one left to tell; stop quietly
// as Unix tools do, rather than crash with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
process.exitCode = code;
// The command is over once its output is flushed: whatever it left running (a Slack call that a
// run stopped at its deadline left waiting out its own timeout) must not keep the process alive.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}
