import type { RetryOptions } from '@slack/web-api';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { loadBotEnv, type BotEnv } from './config/env.js';
import { loadPolicy } from './config/policy.js';
import { systemClock, type Clock } from './core/clock.js';
import { describeError } from './core/errors.js';
import { RouteServer } from './http/route-server.js';
import { createHttpRoutes } from './http/routes.js';
import { dueSoonDays } from './inventory/secret-summary.js';
import { createLogger, type Logger } from './logging/logger.js';
import { createFollowUpMetrics } from './metrics/follow-up-metrics.js';
import { createMetricsRegistry } from './metrics/metrics.js';
import { createReminderMetrics } from './metrics/reminder-metrics.js';
import { createProviderRegistryFromEnv } from './providers/provider-factory.js';
import type { ProviderRegistry } from './providers/provider-registry.js';
import { rotationCalendar } from './reminders/rotation-calendar.js';
import { MAX_WINDOW_DAYS } from './inventory/schedule.js';
import { createRuntime, type Runtime } from './runtime.js';
import { botJobs } from './scheduler/bot-jobs.js';
import { JobScheduler, longestInterval } from './scheduler/job-scheduler.js';
import { sweepHealth } from './scheduler/sweep-health.js';
import { startSlackApp, type SlackState, type StartupRetry } from './slack/app.js';
import { openDatabase } from './storage/database.js';

export interface RotorRuntime {
  mode: 'socket' | 'http';
  port: number;
  /** Runs a scheduled job now (tests and operators' drills); resolves when that run ends. */
  runJob(name: string): Promise<void>;
  /** Stops taking requests, lets running handlers finish, closes the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** Bind address for HTTP mode; tests use 127.0.0.1. */
  host?: string;
  retryConfig?: RetryOptions;
  /** The stores; by default AWS and Vault from the environment. */
  providers?: { registry: ProviderRegistry; close(): void };
  /** How long start-up waits between attempts to reach Slack; tests shorten it. */
  slackStartupRetry?: StartupRetry;
}

/**
 * The composition root: config → database (migrated) → runtime → HTTP routes, listening at once →
 * Slack (waited for while it cannot be reached) → jobs.
 */
export async function startRotor(env: BotEnv, options: StartOptions = {}): Promise<RotorRuntime> {
  const logger = options.logger ?? createLogger(env.LOG_LEVEL);
  const clock = options.clock ?? systemClock;
  const policy = loadPolicy(env.ROTOR_CONFIG);
  const db = openDatabase(env.ROTOR_DB);
  let runtime: Runtime | undefined;
  let server: RouteServer | undefined;
  try {
    runtime = createRuntime({
      db,
      clock,
      policy,
      logger,
      providers: options.providers ?? createProviderRegistryFromEnv(env),
      slack: { botToken: env.SLACK_BOT_TOKEN, ...(env.SLACK_API_URL ? { apiUrl: env.SLACK_API_URL } : {}) },
    });
    const { services, reminders, followUps } = runtime;
    const startedAt = clock.now();
    const metrics = Registry.merge([
      createMetricsRegistry({
        countByStatus: () => services.inventory.statusCounts(clock.now(), dueSoonDays(policy)),
        countOverdue: () => services.inventory.countOverdue(clock.now()),
      }),
      createReminderMetrics(reminders.sweepLog),
      createFollowUpMetrics(followUps.repo, followUps.sweepLog),
    ]);
    const calendarToken = env.ROTOR_CALENDAR_TOKEN;
    let slackState: SlackState = 'connecting';
    const httpRoutes = createHttpRoutes({
      pingDatabase: () => db.prepare('SELECT 1').get(),
      metrics,
      logger,
      reminderHealth: () => sweepHealth(reminders.sweepLog, clock.now(), 2 * longestInterval(env.ROTOR_REMINDER_CRON), startedAt),
      followUpHealth: () => sweepHealth(followUps.sweepLog, clock.now(), 2 * longestInterval(env.ROTOR_FOLLOW_UP_CRON), startedAt),
      calendar: calendarToken ? { token: calendarToken, render: () => rotationCalendar({ inventory: services.inventory, history: services.history }, clock.now(), { days: MAX_WINDOW_DAYS }) } : undefined,
      slackState: () => slackState,
    });
    const scheduler = new JobScheduler(botJobs(runtime, { reminders: env.ROTOR_REMINDER_CRON, sync: env.ROTOR_SYNC_CRON, followUps: env.ROTOR_FOLLOW_UP_CRON }), logger);
    // Health answers before Slack is reached, so an orchestrator sees "Slack unreachable", not silence.
    const routeServer = new RouteServer(httpRoutes);
    server = routeServer;
    const port = await routeServer.listen(env.PORT, options.host ?? '0.0.0.0');
    const slack = await startSlackApp({
      botToken: env.SLACK_BOT_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET,
      appToken: env.SLACK_APP_TOKEN,
      apiUrl: env.SLACK_API_URL,
      server: routeServer,
      runtime,
      logger,
      retryConfig: options.retryConfig,
      startupRetry: options.slackStartupRetry,
      onSlackState: (state) => (slackState = state),
    });
    // The start-up sweeps run in the background; their outcomes are logged and reported by the jobs.
    void scheduler.start();
    logger.info({ mode: slack.mode, port, database: env.ROTOR_DB }, 'Rotor is running');
    const started = runtime;
    let stopping: Promise<void> | undefined;
    return {
      mode: slack.mode,
      port,
      runJob: (name) => scheduler.trigger(name),
      stop() {
        stopping ??= (async () => {
          await Promise.all([slack.stop(), scheduler.stop()]);
          await routeServer.close();
          started.close();
          db.close();
          logger.info('Rotor stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await server?.close();
    runtime?.close();
    db.close();
    throw error;
  }
}

async function main(): Promise<void> {
  let env: BotEnv;
  try {
    env = loadBotEnv();
  } catch (error) {
    process.stderr.write(`rotor: ${describeError(error)}\n`);
    process.exit(1);
  }
  const logger = createLogger(env.LOG_LEVEL);
  let runtime: RotorRuntime;
  try {
    runtime = await startRotor(env, { logger });
  } catch (error) {
    logger.fatal({ err: error }, 'Rotor could not start');
    process.stderr.write(`rotor: ${describeError(error)}\n`);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    runtime.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main();
