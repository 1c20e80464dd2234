/**
 * One server of the ack benchmark, in its own process so its memory and event loop are its own:
 * `fake` (the lean fake Slack), `rotor` (the real bot, startRotor as `npm start` runs it) or
 * `bolt` (a bare Bolt app on the same HTTPReceiver whose listeners only ack). The parent talks
 * to it over IPC: it says `ready` with its port, answers `memory` and `counts`, and exits on `stop`.
 * Each mode imports only what it runs, so the bare app's memory holds no Rotor module.
 */
import { appendFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeCounts } from './lean-fake-slack.js';

export type ChildMode = 'fake' | 'rotor' | 'bolt';

export type ParentMessage = { type: 'memory' } | { type: 'counts' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'memory'; memory: NodeJS.MemoryUsage }
  | { type: 'counts'; counts: FakeCounts };

function reply(message: ChildMessage): void {
  process.send?.(message);
}

async function startFake(): Promise<{ port: number; counts: () => FakeCounts; stop: () => Promise<void> }> {
  const { LeanFakeSlack } = await import('./lean-fake-slack.js');
  const fake = new LeanFakeSlack();
  const port = await fake.start();
  return { port, counts: () => fake.counts, stop: () => fake.close() };
}

/** The real bot, once its start-up sweep is over (so the sweep's Slack calls do not overlap the load). */
async function startRotorServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const [{ loadBotEnv }, { startRotor }, { openDatabase }] = await Promise.all([
    import('../../src/config/env.js'),
    import('../../src/main.js'),
    import('../../src/storage/database.js'),
  ]);
  const env = loadBotEnv({
    SLACK_BOT_TOKEN: process.env.BENCH_BOT_TOKEN,
    SLACK_SIGNING_SECRET: process.env.BENCH_SIGNING_SECRET,
    SLACK_API_URL: process.env.BENCH_API_URL,
    ROTOR_DB: process.env.BENCH_DB,
    ...(process.env.BENCH_CONFIG ? { ROTOR_CONFIG: process.env.BENCH_CONFIG } : {}),
    ...(process.env.ROTOR_REPLY_WORKERS ? { ROTOR_REPLY_WORKERS: process.env.ROTOR_REPLY_WORKERS } : {}),
    LOG_LEVEL: 'info',
    // Only the start-up sweep runs; a scheduled one must not land inside a measurement.
    ROTOR_REMINDER_CRON: '0 0 29 2 *',
  });
  const runtime = await startRotor({ ...env, PORT: 0 }, { host: '127.0.0.1' });
  const watcher = openDatabase(env.ROTOR_DB, { readonly: true, migrate: false });
  try {
    while (!watcher.prepare('SELECT 1 FROM reminder_sweeps WHERE finished_at IS NOT NULL').get()) await sleep(100);
  } finally {
    watcher.close();
  }
  traceMemory(() => runtime.replyPool?.threads.length ?? 0);
  return { port: runtime.port, stop: () => runtime.stop() };
}

/** BENCH_MEMORY_TRACE=<file>: one JSON line every 100 ms of the main thread's memory, its heap spaces, and the live reply workers. */
function traceMemory(workers: () => number): void {
  const base = process.env.BENCH_MEMORY_TRACE;
  if (!base) return;
  const path = `${base}.${process.argv[2]}`;
  const started = Date.now();
  const timer = setInterval(() => {
    const spaces = Object.fromEntries(
      getHeapSpaceStatistics().map((space) => [space.space_name.replace('_space', ''), Math.round(space.space_size / 1e5) / 10]),
    );
    const mb = (n: number) => Math.round(n / 1e5) / 10;
    const usage = process.memoryUsage();
    appendFileSync(
      path,
      `${JSON.stringify({ t: Date.now() - started, rss: mb(usage.rss), heapTotal: mb(usage.heapTotal), heapUsed: mb(usage.heapUsed), external: mb(usage.external), arrayBuffers: mb(usage.arrayBuffers), workers: workers(), spaces })}\n`,
    );
  }, 100);
  timer.unref();
}

/** Bare Bolt: the same receiver options as Rotor's HTTP mode, listeners that only call ack(). */
async function startBareBolt(): Promise<{ port: number; stop: () => Promise<void> }> {
  const { App, HTTPReceiver, LogLevel } = await import('@slack/bolt');
  const signingSecret = process.env.BENCH_SIGNING_SECRET as string;
  const receiver = new HTTPReceiver({ signingSecret, endpoints: ['/slack/events'], processBeforeResponse: false });
  const app = new App({
    token: process.env.BENCH_BOT_TOKEN,
    botId: 'B0BENCHBOT',
    botUserId: 'U0BENCHBOT',
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: process.env.BENCH_API_URL },
  });
  app.command(/.*/, async ({ ack }) => ack());
  app.action(/.*/, async ({ ack }) => ack());
  const server = await receiver.start({ port: 0, host: '127.0.0.1' });
  traceMemory(() => 0);
  return { port: (server.address() as AddressInfo).port, stop: () => receiver.stop() };
}

const mode = process.argv[2] as ChildMode;
const server: { port: number; stop: () => Promise<void>; counts?: () => FakeCounts } =
  mode === 'fake' ? await startFake() : mode === 'rotor' ? await startRotorServer() : await startBareBolt();
process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'memory':
      return reply({ type: 'memory', memory: process.memoryUsage() });
    case 'counts':
      return reply({ type: 'counts', counts: server.counts?.() ?? { responses: 0, calls: {}, rateLimited: 0 } });
    case 'stop':
      void server.stop().finally(() => process.exit(0));
  }
});
reply({ type: 'ready', port: server.port });
