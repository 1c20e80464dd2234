import { randomBytes } from 'node:crypto';
import { parsePolicy } from '../../../src/config/policy.js';
import type { Announcer } from '../../../src/scheduler/announcer.js';
import { createOutboundClients } from '../../../src/slack/outbound/outbound-clients.js';
import { SlackAnnouncer } from '../../../src/slack/outbound/slack-announcer.js';
import { SlackPoster } from '../../../src/slack/outbound/slack-poster.js';
import { SlackReminderNotifier } from '../../../src/slack/outbound/slack-reminder-notifier.js';
import { createReminderSweep } from '../../../src/reminders/create-reminder-sweep.js';
import type { ReminderSweepService, SweepOptions } from '../../../src/reminders/reminder-sweep-service.js';
import type { Services } from '../../../src/services.js';
import { FakeSlackApi } from '../../fakes/fake-slack-api.js';
import { openTempStore, type TempStore } from '../../support/temp-db.js';

export const POLICY_YAML = `
channels:
  announce: CANNOUNCE1
roles:
  admins: [UADMIN1]
  security_leads: [USEC1]
  team_leads: { payments: ULEAD1 }
  cto: UCTO1
reminders:
  offsets_days: [30, 7]
  local_hour: 9
  escalate_every_days: 3
`;

export interface Harness {
  store: TempStore;
  slack: FakeSlackApi;
  notifier: SlackReminderNotifier;
  announcer: Announcer;
  token: string;
  /** Retry-After waits the sweep asked for, in ms (tests do not sit through them). */
  waits: number[];
  sweeper(services?: Services, options?: Partial<SweepOptions>): ReminderSweepService;
  /** Every chat.postMessage Slack accepted or refused, in order: channel, text, ledger keys. */
  posts(): { channel: string; text: string; keys: string[] }[];
  close(): Promise<void>;
}

export async function openHarness(options: { at: string; policyYaml?: string }): Promise<Harness> {
  const store = openTempStore({ at: options.at, policy: parsePolicy(options.policyYaml ?? POLICY_YAML) });
  const slack = new FakeSlackApi();
  await slack.start();
  const token = 'xoxb-' + randomBytes(8).toString('hex');
  const poster = new SlackPoster(createOutboundClients(token, slack.apiUrl));
  const notifier = new SlackReminderNotifier(poster);
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
    await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return {
    store,
    slack,
    notifier,
    announcer: new SlackAnnouncer(poster),
    token,
    waits,
    sweeper: (services = store, sweepOptions = {}) => createReminderSweep(services, notifier, { sleep, ...sweepOptions }),
    posts: () =>
      slack.callsTo('chat.postMessage').map((call) => {
        const metadata = call.args.metadata as { event_payload?: { keys?: string } } | undefined;
        return { channel: String(call.args.channel), text: String(call.args.text), keys: metadata?.event_payload?.keys?.split(' ') ?? [] };
      }),
    async close() {
      await slack.close();
      store.close();
    },
  };
}

/** Messages that really landed in Slack (the fake's store), by ledger key. */
export function deliveredKeys(slack: FakeSlackApi): string[] {
  return slack.messages.flatMap((message) =>
    ((message.metadata as { event_payload?: { keys?: string } } | undefined)?.event_payload?.keys ?? '').split(' ').filter(Boolean),
  );
}
