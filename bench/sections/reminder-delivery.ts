/**
 * (6) Reminder delivery through the real Slack notifier against a fake Web API that answers
 * every tenth call with 429 and Retry-After: every reminder must arrive exactly once, no call
 * may follow a 429 for its method before the Retry-After has passed, and the pace must stay in
 * chat.postMessage's tier (about one message per second per conversation, bursts allowed).
 */
import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import { defaultPolicy } from '../../src/config/policy.js';
import { FixedClock } from '../../src/core/clock.js';
import { createOutboundClients } from '../../src/slack/outbound/outbound-clients.js';
import { SlackPoster } from '../../src/slack/outbound/slack-poster.js';
import { SlackReminderNotifier } from '../../src/slack/outbound/slack-reminder-notifier.js';
import { createReminderSweep } from '../../src/reminders/create-reminder-sweep.js';
import { DEFAULT_SWEEP_OPTIONS } from '../../src/reminders/reminder-sweep-service.js';
import { createServices } from '../../src/services.js';
import { openDatabase } from '../../src/storage/database.js';
import { generateSlackCredentials } from '../../test/support/slack-signing.js';
import { seedSweepInventory } from '../support/inventory-data.js';
import { LeanFakeSlack, type CallStamp } from '../support/lean-fake-slack.js';
import { figure, type Figure } from '../support/report.js';

const now = DateTime.fromISO('2027-03-01T12:00:00Z', { zone: 'utc' });

/**
 * The most calls of one method that arrived within the Retry-After after a 429 for it. Calls
 * already on the wire when the 429 was sent (one per other worker) cannot know of it yet.
 */
function callsInsideRetryAfter(stamps: readonly CallStamp[], retryAfterMs: number): number {
  let most = 0;
  stamps.forEach((stamp, index) => {
    if (!stamp.limited) return;
    const inside = stamps
      .slice(index + 1)
      .filter((later) => later.method === stamp.method && later.atMs - stamp.atMs < retryAfterMs).length;
    most = Math.max(most, inside);
  });
  return most;
}

/** The most messages one conversation received within any one second. */
function busiestConversationSecond(stamps: readonly CallStamp[]): number {
  const byChannel = new Map<string, number[]>();
  for (const stamp of stamps) {
    if (stamp.method !== 'chat.postMessage' || stamp.limited || !stamp.channel) continue;
    byChannel.set(stamp.channel, [...(byChannel.get(stamp.channel) ?? []), stamp.atMs]);
  }
  let busiest = 0;
  for (const times of byChannel.values()) {
    times.forEach((start, index) => {
      busiest = Math.max(busiest, times.slice(index).filter((time) => time - start < 1000).length);
    });
  }
  return busiest;
}

export async function deliverySection(options: {
  dir: string;
  reminders: number;
  owners: number;
}): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const fake = new LeanFakeSlack({ rateLimitEvery: 10, retryAfterSeconds: 1 });
  await fake.start();
  const db = openDatabase(`${options.dir}/delivery.db`);
  try {
    seedSweepInventory(db, { count: options.reminders * 2, owing: options.reminders, owners: options.owners, today: now });
    const services = createServices(db, new FixedClock(now), defaultPolicy);
    const notifier = new SlackReminderNotifier(new SlackPoster(createOutboundClients(generateSlackCredentials().botToken, fake.apiUrl)));
    const sweep = createReminderSweep(services, notifier);
    const started = performance.now();
    const report = await sweep.sweep();
    const seconds = (performance.now() - started) / 1000;
    const ledgerSent = (db.prepare(`SELECT count(*) AS n FROM reminder_ledger WHERE state = 'sent'`).get() as { n: number }).n;
    const duplicates = [...fake.deliveredKeys.values()].filter((count) => count > 1).length;
    const posts = fake.stamps.filter((stamp) => stamp.method === 'chat.postMessage' && !stamp.limited).length;
    const inside = callsInsideRetryAfter(fake.stamps, 1000);
    const inFlight = DEFAULT_SWEEP_OPTIONS.concurrency - 1;
    const exactlyOnce =
      fake.deliveredKeys.size === options.reminders &&
      duplicates === 0 &&
      ledgerSent === options.reminders &&
      report.sent === options.reminders;
    const perMinute = posts / (seconds / 60);
    const busiest = busiestConversationSecond(fake.stamps);
    const figures = [
      figure({
        section: 'delivery',
        label: `reminders delivered exactly once under 429s (${fake.counts.rateLimited} answered 429)`,
        unit: 'count',
        rotor: fake.deliveredKeys.size - duplicates,
        floor: options.reminders,
        target: `all ${options.reminders}, no duplicate`,
        met: exactlyOnce,
        note: `${duplicates} duplicated, ${report.failures.length} failed`,
      }),
      figure({
        section: 'delivery',
        label: 'most calls of a method inside the Retry-After (1 s) after its 429',
        unit: 'count',
        rotor: inside,
        floor: inFlight,
        target: `≤ ${inFlight} (those already in flight)`,
        met: inside <= inFlight,
      }),
      figure({
        section: 'delivery',
        label: `chat.postMessage pace, ${posts} messages (digests) to ${options.owners} people`,
        unit: 'msg/min',
        rotor: perMinute,
        floor: null,
        target: '≤ 1 message/s per conversation',
        met: busiest <= 1,
        note: `busiest conversation: ${busiest} in one second`,
      }),
    ];
    return {
      figures,
      details: {
        seconds,
        posts,
        calls: fake.counts.calls,
        rateLimited: fake.counts.rateLimited,
        report: { ...report, failures: report.failures.length },
      },
    };
  } finally {
    db.close();
    await fake.close();
  }
}
