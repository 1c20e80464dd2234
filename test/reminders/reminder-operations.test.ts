import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpRoutes } from '../../src/http/routes.js';
import { createLogger } from '../../src/logging/logger.js';
import { createReminderMetrics } from '../../src/metrics/reminder-metrics.js';
import { ReminderLedgerRepo } from '../../src/reminders/reminder-ledger-repo.js';
import { buildRotationCalendar, upcomingRotations } from '../../src/reminders/rotation-calendar.js';
import { SweepLogRepo } from '../../src/storage/sweep-log-repo.js';
import { WeeklyDigestService } from '../../src/reminders/weekly-digest-service.js';
import { JobScheduler, longestInterval } from '../../src/scheduler/job-scheduler.js';
import { reminderJobs } from '../../src/scheduler/reminder-jobs.js';
import { sweepHealth } from '../../src/scheduler/sweep-health.js';
import { WeeklyDigestRepo } from '../../src/reminders/weekly-digest-repo.js';
import { openHarness, type Harness } from './support/reminder-harness.js';
import { operator } from '../support/actors.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('reminders in operation: scheduler, health, failures, weekly digest, calendar', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness({ at: '2027-01-24T10:00:00Z' });
    h.slack.addUser('UOWN1', 'UTC');
    h.store.inventoryService.create(
      { name: 'prod/svc1/api_key', owner: 'UOWN1', consumers: ['web'], intervalDays: 90, lastRotated: '2026-11-02T10:00:00Z' },
      operator('UADMIN1'),
      'test',
    );
  });
  afterEach(() => h.close());

  function jobs() {
    const weeklyDigest = new WeeklyDigestService({
      digests: new WeeklyDigestRepo(h.store.db),
      history: h.store.history,
      ledger: new ReminderLedgerRepo(h.store.db),
      inventory: h.store.inventory,
      notifier: h.notifier,
      clock: h.store.clock,
      policy: h.store.policy,
    });
    return {
      weeklyDigest,
      table: reminderJobs({
        sweep: h.sweeper(),
        weeklyDigest,
        announcer: h.announcer,
        policy: h.store.policy,
        clock: h.store.clock,
        schedule: '*/15 * * * *',
        logger: silent,
      }),
    };
  }

  it('runs the sweep once at start-up and skips a tick while the previous run is still going', async () => {
    let release: () => void = () => undefined;
    let runs = 0;
    const scheduler = new JobScheduler(
      [
        {
          name: 'slow',
          schedule: '*/15 * * * *',
          runAtStart: false,
          run: () =>
            new Promise<void>((resolve) => {
              runs += 1;
              release = resolve;
            }),
        },
      ],
      silent,
    );
    const first = scheduler.trigger('slow');
    const second = scheduler.trigger('slow');
    expect(runs).toBe(1);
    release();
    await Promise.all([first, second]);
    expect(scheduler.isRunning('slow')).toBe(false);

    const started = new JobScheduler(jobs().table, silent);
    await started.start();
    await started.stop();
    expect(h.posts().map((post) => post.channel)).toEqual(['UOWN1']);
    expect(() => new JobScheduler([{ name: 'bad', schedule: 'every day', runAtStart: false, run: async () => undefined }], silent)).toThrow(
      /not a valid cron expression/,
    );
  });

  it('a failed sweep announces its reason literally, never as mrkdwn', async () => {
    const { weeklyDigest } = jobs();
    const failing = { sweep: () => Promise.reject(new Error('answer was <!channel> & <https://example.com|x>')) } as unknown as ReturnType<
      Harness['sweeper']
    >;
    const table = reminderJobs({
      sweep: failing,
      weeklyDigest,
      announcer: h.announcer,
      policy: h.store.policy,
      clock: h.store.clock,
      schedule: '*/15 * * * *',
      logger: silent,
    });
    await new JobScheduler(table, silent).trigger('reminder-sweep');
    const announced = h.posts().find((post) => post.channel === 'CANNOUNCE1');
    expect(announced?.text).toContain(': answer was &lt;!channel&gt; &amp; &lt;https://example.com|x&gt;.');
  });

  it('a failed sweep is announced in the announcement channel', async () => {
    h.store.db.exec('DROP TABLE reminder_snoozes');
    const { table } = jobs();
    await new JobScheduler(table, silent).trigger('reminder-sweep');
    const announced = h.posts().find((post) => post.channel === 'CANNOUNCE1');
    expect(announced?.text).toMatch(/^:warning: The reminder sweep failed at 2027-01-24T10:00:00.000Z: no such table: reminder_snoozes/);
  });

  it('healthz turns unhealthy and metrics show the last success when sweeps stop', async () => {
    await h.sweeper().sweep();
    const sweepLog = new SweepLogRepo(h.store.db);
    const maxAge = 2 * longestInterval('*/15 * * * *');
    expect(maxAge).toBe(30 * 60 * 1000);
    const started = DateTime.fromISO('2027-01-24T09:00:00Z');
    expect(sweepHealth(sweepLog, h.store.clock.now().plus({ minutes: 29 }), maxAge, started)).toEqual({
      healthy: true,
      lastSuccessfulSweep: '2027-01-24T10:00:00.000Z',
    });
    expect(sweepHealth(sweepLog, h.store.clock.now().plus({ minutes: 31 }), maxAge, started).healthy).toBe(false);
    const metrics = await createReminderMetrics(sweepLog).metrics();
    expect(metrics).toContain(`rotor_reminder_last_success_timestamp_seconds ${DateTime.fromISO('2027-01-24T10:00:00Z').toSeconds()}`);

    let now = h.store.clock.now().plus({ minutes: 31 });
    const routes = createHttpRoutes({
      pingDatabase: () => h.store.db.prepare('SELECT 1').get(),
      metrics: createReminderMetrics(sweepLog),
      logger: createLogger('silent'),
      reminderHealth: () => sweepHealth(sweepLog, now, maxAge, started),
    });
    const server = await serve(routes);
    try {
      const stale = await fetch(`${server.url}/healthz`);
      expect(stale.status).toBe(503);
      expect(await stale.json()).toMatchObject({ reminders: 'stale', lastSuccessfulSweep: '2027-01-24T10:00:00.000Z' });
      now = h.store.clock.now();
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('posts one weekly digest per week: reminded, overdue, and who has not acted', async () => {
    h.store.clock.set('2027-02-01T10:00:00Z');
    await h.sweeper().sweep(); // due notice to UOWN1
    h.store.clock.set('2027-02-02T10:00:00Z');
    const { weeklyDigest } = jobs();
    expect(await weeklyDigest.post()).toBe(true);
    expect(await weeklyDigest.post()).toBe(false);
    const digest = h.posts().filter((post) => post.channel === 'CANNOUNCE1');
    expect(digest).toHaveLength(1);
    const text = JSON.stringify(h.slack.callsTo('chat.postMessage').at(-1)!.args.blocks);
    expect(text).toContain('*Reminded:* 1 × due');
    expect(text).toContain('prod/svc1/api_key — 2 days overdue, owner <@UOWN1>');
    expect(text).toContain('*Reminded but not acted:*\\n• <@UOWN1>: prod/svc1/api_key');
  });

  it('the calendar has one event per upcoming rotation with stable UIDs and 30/7-day alarms; the feed needs the token', async () => {
    const today = h.store.clock.now();
    const ics = buildRotationCalendar(upcomingRotations(h.store.inventory, today, { days: 30 }));
    expect(ics).toContain('SUMMARY:Secrets rotation — prod/svc1/api_key');
    expect(ics).toContain('UID:rotation-prod-svc1-api_key@rotor');
    expect(ics).toContain('DTSTART;VALUE=DATE:20270131');
    expect(ics.match(/BEGIN:VALARM/g)).toHaveLength(2);
    expect(ics).toContain('TRIGGER:-P30D');
    expect(ics).toContain('TRIGGER:-P7D');
    expect(ics).toContain('Owner: UOWN1');
    expect(buildRotationCalendar(upcomingRotations(h.store.inventory, today, { days: 30, owner: 'UOTHER' }))).not.toContain('BEGIN:VEVENT');

    const token = randomBytes(16).toString('hex');
    const routes = createHttpRoutes({
      pingDatabase: () => undefined,
      metrics: createReminderMetrics(new SweepLogRepo(h.store.db)),
      logger: createLogger('silent'),
      calendar: { token, render: () => ics },
    });
    const server = await serve(routes);
    try {
      const ok = await fetch(`${server.url}/calendar.ics?token=${token}`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/calendar/);
      expect(await ok.text()).toBe(ics);
      expect((await fetch(`${server.url}/calendar.ics?token=wrong`)).status).toBe(404);
      expect((await fetch(`${server.url}/calendar.ics`)).status).toBe(404);
    } finally {
      await server.close();
    }
    const off = await serve(
      createHttpRoutes({
        pingDatabase: () => undefined,
        metrics: createReminderMetrics(new SweepLogRepo(h.store.db)),
        logger: createLogger('silent'),
      }),
    );
    try {
      expect((await fetch(`${off.url}/calendar.ics?token=${token}`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

/** Serves Bolt custom routes on 127.0.0.1 the way the receivers do: by pathname and method. */
async function serve(routes: ReturnType<typeof createHttpRoutes>): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes.find((candidate) => candidate.path === path && [candidate.method].flat().includes(req.method ?? 'GET'));
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    void route.handler(req as never, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
