import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import { DeadlineExceededError } from '../../src/core/deadline.js';
import { importRows, parseRows } from '../../src/import-export/import-service.js';
import type { Runtime } from '../../src/runtime.js';
import { followUpJob } from '../../src/scheduler/follow-up-job.js';
import { announcementMessage } from '../../src/slack/views/announcement-message.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { PING, registerPing } from '../follow-ups/support/ping-follow-up.js';
import { operator } from '../support/actors.js';
import { fakeSlackRuntime } from '../support/fake-slack-runtime.js';
import { capturingLogger } from '../support/provider-harness.js';
import { startSlackHarness, type SlackHarness } from '../support/slack-app-harness.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

const OWNERS = ['U0OWNA', 'U0OWNB', 'U0OWNC'];

describe("the bot's reminder sweep with Slack hanging", () => {
  let harness: SlackHarness;
  afterEach(async () => harness.close());

  it('stops at ROTOR_RUN_DEADLINE_SECONDS and is announced like a failed sweep', async () => {
    harness = await startSlackHarness({
      at: '2027-01-01T10:00:00Z',
      policy: 'channels:\n  announce: C0ANNOUNCE\nroles:\n  admins: [U0ADMIN]\n',
      env: { ROTOR_RUN_DEADLINE_SECONDS: '1' },
      beforeStart: ({ fake, store }) => {
        for (const owner of OWNERS) fake.addUser(owner, 'UTC');
        // Each one's 30-day warning is owed at start-up: the three DMs hang, the announcement of the
        // overrun does not. (Today's audit checkpoint counts as posted, so it posts nothing.)
        const yaml = OWNERS.map(
          (owner, index) => `- {name: prod/svc${index}/api_key, owner: ${owner}, interval_days: 90, last_rotated: "2026-11-02"}`,
        ).join('\n');
        importRows(parseRows('yaml', yaml, store), store, { actor: operator('U0ADMIN'), source: 'inventory.yml' });
        store.db
          .prepare("INSERT INTO audit_checkpoint_posts (day, seq, hash, posted_at) VALUES ('2027-01-01', 1, 'x', '2027-01-01T00:05:00Z')")
          .run();
        fake.script('chat.postMessage', ...OWNERS.map(() => ({ delayMs: 20_000 })));
      },
    });
    const announcement = await harness.fake.waitForCall(
      'chat.postMessage',
      (call) => call.args.channel === 'C0ANNOUNCE' && String(call.args.text).includes('reminder sweep'),
    );
    expect(String(announcement.args.text)).toMatch(
      /^:warning: The reminder sweep failed at .*: The reminder sweep stopped at its 1 s deadline .*: 0 reminders sent, 0 still owed and 3 in flight/,
    );
    const health = (await (await fetch(`${harness.baseUrl}/healthz`)).json()) as { lastSuccessfulSweep: string | null };
    expect(health.lastSuccessfulSweep).toBeNull();
    expect(harness.store.db.prepare('SELECT ok, error FROM reminder_sweeps').all()).toEqual([
      { ok: 0, error: expect.stringContaining('stopped at its 1 s deadline') },
    ]);
  });
});

describe('the follow-up sweep with Slack hanging', () => {
  let store: TempStore;
  let slack: FakeSlackApi;
  let runtime: Runtime;

  beforeEach(async () => {
    slack = new FakeSlackApi();
    await slack.start();
    store = openTempStore({ at: '2027-03-01T10:00:00Z', policy: parsePolicy('channels:\n  announce: C0ANNOUNCE\n') });
    runtime = fakeSlackRuntime(store, slack, { runDeadlineSeconds: 1 });
    registerPing(runtime);
    for (const topic of ['rotation:1', 'rotation:2', 'rotation:3'])
      runtime.followUps.service.schedule({ kind: PING, topic, dueAt: '2027-03-01T10:00:00Z', payload: { user: 'U0PING' } });
    slack.script('chat.postMessage', { delayMs: 20_000 });
  });
  afterEach(async () => {
    await slack.close();
    store.close();
  });

  const states = () => store.db.prepare('SELECT state, count(*) AS n FROM follow_ups GROUP BY state ORDER BY state').all();

  it('stops claiming at the deadline and says what it did and left', async () => {
    const stopped = await runtime.followUps.service.sweep().catch((error: unknown) => error);
    expect(stopped).toBeInstanceOf(DeadlineExceededError);
    expect((stopped as Error).message).toMatch(/stopped at its 1 s deadline .*: 0 done, 2 due left for the next sweep and 1 in flight/);
    // The one in flight keeps its claim (it finishes, or a later sweep reconciles it); the rest wait.
    expect(states()).toEqual([
      { state: 'claimed', n: 1 },
      { state: 'pending', n: 2 },
    ]);
  });

  it('the scheduled job announces the overrun like a failed sweep', async () => {
    const announced: string[] = [];
    const job = followUpJob({
      followUps: runtime.followUps.service,
      announcer: {
        announce: async (channel, announcement) => {
          announced.push(`${channel} ${announcementMessage(announcement).text}`);
          return { channel, ts: '1.000100' };
        },
      },
      policy: store.policy,
      clock: store.clock,
      schedule: '* * * * *',
      logger: capturingLogger().logger,
    });
    await job.run();
    expect(announced).toEqual([
      expect.stringMatching(/^C0ANNOUNCE :warning: The follow-up sweep failed at .*: The follow-up sweep stopped at its 1 s deadline/),
    ]);
  });
});
