/**
 * TEST ONLY: one follow-up sweep in its own process, for test/follow-ups/follow-ups.test.ts. Run compiled:
 *   node dist/test/follow-ups/support/crashing-follow-up-sweep.js <after-claim|after-run|none> <ISO instant>
 * with ROTOR_DB, SLACK_BOT_TOKEN and SLACK_API_URL set. With a crash point it SIGKILLs itself
 * there (through the sweep's hooks option, which only this script sets); with `none` it sweeps
 * and exits 0, so two of them can race on one database.
 */
import { parsePolicy } from '../../../src/config/policy.js';
import { FixedClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/logging/logger.js';
import { createProviderRegistry } from '../../../src/providers/provider-registry.js';
import { createRuntime } from '../../../src/runtime.js';
import { openDatabase } from '../../../src/storage/database.js';
import { registerPing } from './ping-follow-up.js';

const POINTS = ['after-claim', 'after-run', 'none'] as const;
const [point, at] = process.argv.slice(2);
const { ROTOR_DB, SLACK_BOT_TOKEN, SLACK_API_URL } = process.env;
if (!POINTS.includes(point as (typeof POINTS)[number]) || !at || !ROTOR_DB || !SLACK_BOT_TOKEN || !SLACK_API_URL) {
  process.stderr.write(
    'usage: crashing-follow-up-sweep <after-claim|after-run|none> <ISO instant> (env: ROTOR_DB, SLACK_BOT_TOKEN, SLACK_API_URL)\n',
  );
  process.exit(2);
}

/** No cleanup, no finally, no flush: the process is gone mid-step, as with a power cut or OOM kill. */
const die = () => {
  process.kill(process.pid, 'SIGKILL');
};

const runtime = createRuntime({
  db: openDatabase(ROTOR_DB),
  clock: new FixedClock(at),
  policy: parsePolicy('{}'),
  logger: createLogger('silent'),
  providers: { registry: createProviderRegistry({}), close: () => undefined },
  slack: { botToken: SLACK_BOT_TOKEN, apiUrl: SLACK_API_URL },
  followUpSweep: { hooks: point === 'after-claim' ? { afterClaim: die } : point === 'after-run' ? { afterRun: die } : {} },
});
registerPing(runtime);
const report = await runtime.followUps.service.sweep();
if (point !== 'none') {
  process.stderr.write(`crashing-follow-up-sweep: the sweep finished without reaching ${point}\n`);
  process.exit(3);
}
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);
