import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import { projectRoot } from '../../src/core/project-root.js';
import { FOLLOW_UP_METADATA_EVENT_TYPE, type FollowUpHandler } from '../../src/follow-ups/follow-up.js';
import { createLogger } from '../../src/logging/logger.js';
import { createFollowUpMetrics } from '../../src/metrics/follow-up-metrics.js';
import { createProviderRegistry } from '../../src/providers/provider-registry.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { FakeSlackApi } from '../fakes/fake-slack-api.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';
import { PING, registerPing } from './support/ping-follow-up.js';

const crashingSweep = join(projectRoot, 'dist', 'test', 'follow-ups', 'support', 'crashing-follow-up-sweep.js');
const AT = '2027-03-01T10:00:00Z';
const POLICY = 'channels:\n  announce: C0ANNOUNCE\n';

describe('durable follow-ups: schedule → claim → do → mark, exactly once', () => {
  let store: TempStore;
  let slack: FakeSlackApi;
  let token: string;
  let runtime: Runtime;

  beforeEach(async () => {
    slack = new FakeSlackApi();
    await slack.start();
    token = ['xoxb', randomBytes(6).toString('hex')].join('-');
    store = openTempStore({ at: AT, policy: parsePolicy(POLICY) });
    runtime = createRuntime({
      db: store.db,
      clock: store.clock,
      policy: store.policy,
      logger: createLogger('silent'),
      providers: { registry: createProviderRegistry({}), close: () => undefined },
      slack: { botToken: token, apiUrl: slack.apiUrl },
    });
    registerPing(runtime);
  });
  afterEach(async () => {
    await slack.close();
    store.close();
  });

  const schedule = (topic: string, dueAt: string) =>
    runtime.followUps.service.schedule({ kind: PING, topic, dueAt, payload: { user: 'U0PING' } });
  const pings = () => slack.callsTo('chat.postMessage').filter((call) => String(call.args.text).startsWith('ping '));
  const pingsLanded = () => slack.messages.filter((message) => String(message.text).startsWith('ping '));
  const states = () => store.db.prepare('SELECT topic, state, attempts FROM follow_ups ORDER BY id').all();

  it('fires once when due, not before; scheduling twice is harmless; a second sweep does nothing', async () => {
    expect(schedule('rotation:1', '2027-03-01T12:00:00Z')).toBe(true);
    expect(schedule('rotation:1', '2027-03-01T12:00:00Z')).toBe(false);
    expect(await runtime.followUps.service.sweep()).toMatchObject({ done: 0 });
    expect(pings()).toHaveLength(0);
    store.clock.set('2027-03-01T12:00:00Z');
    expect(await runtime.followUps.service.sweep()).toMatchObject({ done: 1 });
    expect(await runtime.followUps.service.sweep()).toMatchObject({ done: 0 });
    expect(pings().map((call) => [call.args.channel, call.args.text])).toEqual([['U0PING', 'ping rotation:1']]);
    const followUp = runtime.followUps.repo.find(PING, 'rotation:1');
    expect(followUp).toMatchObject({ state: 'done', attempts: 1, outcome: { channel: 'U0PING' } });
    expect((pings()[0]!.args.metadata as { event_type: string }).event_type).toBe(FOLLOW_UP_METADATA_EVENT_TYPE);
  });

  it('a cancelled follow-up never fires', async () => {
    schedule('rotation:2', AT);
    expect(runtime.followUps.service.cancel('rotation:2')).toBe(1);
    await runtime.followUps.service.sweep();
    expect(pings()).toHaveLength(0);
    expect(states()).toEqual([{ topic: 'rotation:2', state: 'cancelled', attempts: 0 }]);
  });

  it('a follow-up can schedule the next of a series when it is done (a daily reminder)', async () => {
    const daily: FollowUpHandler = {
      kind: 'test.daily',
      run: async (followUp) => ({
        then: [
          {
            kind: 'test.daily',
            topic: followUp.topic,
            occurrence: String(Number(followUp.occurrence) + 1),
            dueAt: store.clock.now().plus({ days: 1 }).toISO() as string,
          },
        ],
      }),
      reconcile: async () => null,
    };
    runtime.followUps.service.register(daily);
    runtime.followUps.service.schedule({ kind: 'test.daily', topic: 'incident:1', occurrence: '1', dueAt: AT });
    await runtime.followUps.service.sweep();
    store.clock.advance({ days: 1 });
    await runtime.followUps.service.sweep();
    expect(store.db.prepare(`SELECT occurrence, state FROM follow_ups WHERE kind = 'test.daily' ORDER BY id`).all()).toEqual([
      { occurrence: '1', state: 'done' },
      { occurrence: '2', state: 'done' },
      { occurrence: '3', state: 'pending' },
    ]);
  });

  it('a failing follow-up is retried with backoff, then given up on: audited and announced', async () => {
    slack.script('chat.postMessage', ...Array.from({ length: 5 }, () => ({ error: 'channel_not_found' })));
    schedule('rotation:3', AT);
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      await runtime.followUps.service.sweep();
      store.clock.advance({ hours: 2 });
    }
    expect(runtime.followUps.repo.find(PING, 'rotation:3')).toMatchObject({
      state: 'failed',
      attempts: 5,
      lastError: expect.stringContaining('channel_not_found'),
    });
    expect(store.db.prepare(`SELECT details FROM audit_events WHERE action = 'follow_up.failed'`).pluck().all()).toHaveLength(1);
    const announcement = slack.callsTo('chat.postMessage').find((call) => call.args.channel === 'C0ANNOUNCE');
    expect(String(announcement?.args.text)).toMatch(
      /^:warning: Rotor gave up on a follow-up after 5 attempts: `test.ping` for `rotation:3`/,
    );
    await runtime.followUps.service.sweep();
    expect(slack.callsTo('chat.postMessage').filter((call) => call.args.channel === 'C0ANNOUNCE')).toHaveLength(1);
  });

  it('a post Slack may have stored (HTTP 500 after processing) is looked up, not posted again', async () => {
    slack.script('chat.postMessage', { httpStatus: 500, afterProcessing: true });
    schedule('rotation:4', AT);
    await runtime.followUps.service.sweep();
    expect(runtime.followUps.repo.find(PING, 'rotation:4')).toMatchObject({ state: 'claimed' });
    store.clock.advance({ minutes: 11 });
    expect(await runtime.followUps.service.sweep()).toMatchObject({ reconciled: 1, done: 0 });
    expect(pingsLanded()).toHaveLength(1);
    expect(runtime.followUps.repo.find(PING, 'rotation:4')).toMatchObject({ state: 'done' });
  });

  it('reports its health in /metrics from the database', async () => {
    schedule('rotation:5', '2027-03-02T10:00:00Z');
    await runtime.followUps.service.sweep();
    const text = await createFollowUpMetrics(runtime.followUps.repo, runtime.followUps.sweepLog).metrics();
    expect(text).toContain(`rotor_follow_up_last_success_timestamp_seconds ${Math.floor(Date.parse(AT) / 1000)}`);
    expect(text).toContain('rotor_follow_ups{state="pending"} 1');
  });

  describe('across processes', () => {
    beforeEach(() => {
      // `npm test` builds first; a bare `vitest run` may not have.
      if (!existsSync(crashingSweep))
        execFileSync(process.execPath, [
          join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
          '-p',
          join(projectRoot, 'tsconfig.json'),
        ]);
    });

    const env = () => ({ PATH: process.env.PATH ?? '', ROTOR_DB: store.path, SLACK_BOT_TOKEN: token, SLACK_API_URL: slack.apiUrl });

    function crash(point: 'after-claim' | 'after-run'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [crashingSweep, point, AT], { env: env(), stdio: 'ignore' });
        child.on('exit', (code, signal) => resolve({ code, signal }));
      });
    }

    it.each(['after-claim', 'after-run'] as const)('a sweep SIGKILLed %s leaves nothing lost and nothing doubled', async (point) => {
      schedule('rotation:6', AT);
      expect(await crash(point)).toEqual({ code: null, signal: 'SIGKILL' });
      expect(runtime.followUps.repo.find(PING, 'rotation:6')).toMatchObject({ state: 'claimed' });
      expect(pingsLanded()).toHaveLength(point === 'after-run' ? 1 : 0);

      // Inside the claim timeout the dead sweep's claim is left alone.
      store.clock.advance({ minutes: 5 });
      await runtime.followUps.service.sweep();
      expect(pingsLanded()).toHaveLength(point === 'after-run' ? 1 : 0);

      store.clock.advance({ minutes: 6 });
      const report = await runtime.followUps.service.sweep();
      expect(report).toMatchObject(point === 'after-run' ? { reconciled: 1, done: 0 } : { released: 1, done: 1 });
      await runtime.followUps.service.sweep();
      expect(pingsLanded()).toHaveLength(1);
      expect(runtime.followUps.repo.find(PING, 'rotation:6')).toMatchObject({ state: 'done' });
    });

    it('two processes sweeping one database at once do it once', async () => {
      for (let index = 0; index < 5; index += 1) schedule(`rotation:race-${index}`, AT);
      const run = promisify(execFile);
      const reports = await Promise.all([0, 1].map(() => run(process.execPath, [crashingSweep, 'none', AT], { env: env() })));
      const done = reports.map((result) => (JSON.parse(result.stdout) as { done: number }).done);
      expect(done[0]! + done[1]!).toBe(5);
      expect(pingsLanded()).toHaveLength(5);
      expect(new Set(pingsLanded().map((message) => message.text)).size).toBe(5);
    });
  });
});
