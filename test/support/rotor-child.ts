/**
 * TEST ONLY: the bot (startRotor, the composition `npm start` runs) in a process of its own, for
 * the kill tests (test/slack/rotation/store-record-kills.test.ts), which SIGKILL it between a store's change
 * and Rotor's record of it. Its clock starts at ROTOR_TEST_AT and runs on with the wall clock, so
 * what it writes lines up with the in-process bot that takes over the database after the kill.
 * Run compiled, with the bot's environment (SLACK_*, ROTOR_DB, ROTOR_CONFIG, ROTOR_AUDIT_KEY,
 * AWS_*) and ROTOR_TEST_AT:
 *   node dist/test/support/rotor-child.js
 * It prints `rotor-child listening <port>` on stderr once Slack requests may come in.
 * With ROTOR_CHILD_ENV_ON_STDIN=1 it loads the bot's modules first and then reads that environment
 * as one JSON line on stdin: a spare started ahead of time (test/support/rotor-child-process.ts)
 * has done its loading by the time a test needs a bot. Stdin closed without a line: it exits.
 */
import { DateTime } from 'luxon';
import { loadBotEnv } from '../../src/config/env.js';
import { startRotor } from '../../src/main.js';

if (process.env.ROTOR_CHILD_ENV_ON_STDIN === '1') {
  let text = '';
  for await (const chunk of process.stdin) {
    text += (chunk as Buffer).toString('utf8');
    if (text.includes('\n')) break;
  }
  if (!text.includes('\n')) process.exit(0);
  // The environment it would have been started with: PATH and what the test gives.
  for (const key of Object.keys(process.env)) if (key !== 'PATH') delete process.env[key];
  Object.assign(process.env, JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, string>);
}

const at = DateTime.fromISO(process.env.ROTOR_TEST_AT ?? '', { zone: 'utc' });
if (!at.isValid) {
  process.stderr.write('usage: ROTOR_TEST_AT=<ISO instant> node rotor-child.js (with the bot environment)\n');
  process.exit(2);
}
const startedAt = Date.now();
const clock = { now: () => at.plus({ milliseconds: Date.now() - startedAt }) };
const runtime = await startRotor({ ...loadBotEnv(process.env), PORT: 0 }, { clock, host: '127.0.0.1' });
process.stderr.write(`rotor-child listening ${runtime.port}\n`);
