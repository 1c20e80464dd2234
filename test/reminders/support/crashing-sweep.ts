/**
 * TEST ONLY: one reminder sweep in its own process that SIGKILLs itself at a named point, for
 * the kill test (test/reminders/reminder-kill.test.ts). Run compiled:
 *   node dist/test/reminders/support/crashing-sweep.js <after-claim|after-send> <ISO instant>
 * with ROTOR_DB, ROTOR_CONFIG, SLACK_BOT_TOKEN and SLACK_API_URL set. The crash comes in through
 * the sweep's `hooks` constructor option, which only this script sets: nothing in src/ reads it.
 */
import { loadPolicy } from '../../../src/config/policy.js';
import { FixedClock } from '../../../src/core/clock.js';
import { createOutboundClients } from '../../../src/slack/outbound/outbound-clients.js';
import { SlackPoster } from '../../../src/slack/outbound/slack-poster.js';
import { SlackReminderNotifier } from '../../../src/slack/outbound/slack-reminder-notifier.js';
import { createReminderSweep } from '../../../src/reminders/create-reminder-sweep.js';
import type { SweepHooks } from '../../../src/reminders/reminder-sweep-service.js';
import { createServices } from '../../../src/services.js';
import { openDatabase } from '../../../src/storage/database.js';

const CRASH_POINTS = ['after-claim', 'after-send'] as const;
type CrashPoint = (typeof CRASH_POINTS)[number];

const [crashAt, at] = process.argv.slice(2);
const { ROTOR_DB, ROTOR_CONFIG, SLACK_BOT_TOKEN, SLACK_API_URL } = process.env;
if (!CRASH_POINTS.includes(crashAt as CrashPoint) || !at || !ROTOR_DB || !SLACK_BOT_TOKEN || !SLACK_API_URL) {
  process.stderr.write(
    'usage: crashing-sweep <after-claim|after-send> <ISO instant> (env: ROTOR_DB, ROTOR_CONFIG, SLACK_BOT_TOKEN, SLACK_API_URL)\n',
  );
  process.exit(2);
}

/** No cleanup, no finally, no flush: the process is gone mid-step, as with a power cut or OOM kill. */
const die = () => {
  process.kill(process.pid, 'SIGKILL');
};
const hooks: SweepHooks = crashAt === 'after-claim' ? { afterClaim: die } : { afterSend: die };

const services = createServices(openDatabase(ROTOR_DB), new FixedClock(at), loadPolicy(ROTOR_CONFIG));
const notifier = new SlackReminderNotifier(new SlackPoster(createOutboundClients(SLACK_BOT_TOKEN, SLACK_API_URL)));
await createReminderSweep(services, notifier, { hooks }).sweep();
process.stderr.write(`crashing-sweep: the sweep finished without reaching ${crashAt}\n`);
process.exit(3);
