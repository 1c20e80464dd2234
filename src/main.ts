import type { RetryOptions } from '@slack/web-api';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { loadBotEnv, type BotEnv } from './config/env.js';
import { loadPolicy } from './config/policy.js';
import { systemClock, type Clock } from './core/clock.js';
import { describeError } from './core/errors.js';
import { createHttpRoutes } from './http/routes.js';
import { createLogger, type Logger } from './logging/logger.js';
import { createMetricsRegistry } from './metrics/metrics.js';
import { createProviderServicesFromEnv } from './providers/provider-factory.js';
import { dueSoonDays } from './inventory/secret-summary.js';
import { createReminderRuntime } from './reminders/adapters/create-reminder-runtime.js';
import { JobScheduler } from './scheduler/job-scheduler.js';
import { providerSyncJob } from './scheduler/provider-sync-job.js';
import { createServices } from './services.js';
import { createSlackApp } from './slack/app.js';
import { openDatabase } from './storage/database.js';

export interface RotorRuntime {
  mode: 'socket' | 'http';
  port: number;
  /** Stops taking requests, lets running handlers finish, closes the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** Bind address for HTTP mode; tests use 127.0.0.1. */
  host?: string;
  retryConfig?: RetryOptions;
}

/** The composition root: config → database (migrated) → services → Slack app → listening. */
export async function startRotor(env: BotEnv, options: StartOptions = {}): Promise<RotorRuntime> {
  const logger = options.logger ?? createLogger(env.LOG_LEVEL);
  const clock = options.clock ?? systemClock;
  const policy = loadPolicy(env.ROTOR_CONFIG);
  // The page cache is resident memory for as long as the bot runs, and a whole-table read (a
  // /metrics scrape) would fill a large one; the bot's own queries walk indexes and need little.
  const db = openDatabase(env.ROTOR_DB, { cacheMiB: 8 });
  try {
    const services = createServices(db, clock, policy);
    const auditLogger = logger.child({ component: 'audit' });
    services.audit.onAppend((event) => auditLogger.info({ audit: event }, 'audit event'));
    const reminders = createReminderRuntime(services, { botToken: env.SLACK_BOT_TOKEN, apiUrl: env.SLACK_API_URL, schedule: env.ROTOR_REMINDER_CRON, calendarToken: env.ROTOR_CALENDAR_TOKEN, logger });
    const inventoryGauges = createMetricsRegistry({
      countByStatus: () => services.inventory.statusCounts(clock.now(), dueSoonDays(policy)),
      countOverdue: () => services.inventory.countOverdue(clock.now()),
    });
    const metrics = Registry.merge([inventoryGauges, reminders.metrics]);
    const httpRoutes = createHttpRoutes({ pingDatabase: () => db.prepare('SELECT 1').get(), metrics, logger, ...reminders.httpDeps });
    const slack = await createSlackApp({
      botToken: env.SLACK_BOT_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET,
      appToken: env.SLACK_APP_TOKEN,
      apiUrl: env.SLACK_API_URL,
      port: env.PORT,
      httpRoutes,
      services,
      reminderActions: reminders.actions,
      logger,
      retryConfig: options.retryConfig,
    });
    const providers = createProviderServicesFromEnv(services, env, logger);
    const scheduler = new JobScheduler(
      [...reminders.jobs, providerSyncJob({ sync: providers.sync, schedule: env.ROTOR_SYNC_CRON, policy, announce: reminders.announce, logger })],
      logger,
    );
    const port = await slack.start(options.host);
    // The start-up sweep runs in the background; its outcome is logged and reported by the job.
    void scheduler.start();
    logger.info({ mode: slack.mode, port, database: env.ROTOR_DB }, 'Rotor is running');
    let stopping: Promise<void> | undefined;
    return {
      mode: slack.mode,
      port,
      stop() {
        stopping ??= (async () => {
          await Promise.all([slack.stop(), scheduler.stop()]);
          providers.close();
          db.close();
          logger.info('Rotor stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
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
