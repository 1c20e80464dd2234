import type { RetryOptions } from '@slack/web-api';
import { checkRoleGroups } from './slack/outbound/slack-user-groups.js';
import { createOutboundClients } from './slack/outbound/outbound-clients.js';
import { realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Registry } from './metrics/prometheus.js';
import { slackActor } from './access/actor.js';
import { AuditPublisher } from './audit/audit-publisher.js';
import { DailyCheckpoints } from './audit/daily-checkpoints.js';
import { loadBotEnv, type BotEnv } from './config/env.js';
import { loadPolicy, type EvidenceArchivePolicy } from './config/policy.js';
import { systemClock, type Clock } from './core/clock.js';
import { describeError, isRotorError } from './core/errors.js';
import { loadedOnFirstUse } from './core/load-code.js';
import { ARCHIVE_FOLLOW_UP } from './evidence-archive/archive-follow-ups.js';
import { openEvidenceBucket, type EvidenceBucket } from './evidence-archive/evidence-bucket.js';
import { HmacKeyring } from './core/hmac-keyring.js';
import { quietAwsSdkNodeWarning } from './core/process-warnings.js';
import { RouteServer } from './http/route-server.js';
import { createHttpRoutes } from './http/routes.js';
import { MAX_WINDOW_DAYS } from './inventory/schedule.js';
import { dueSoonDays } from './inventory/secret-summary.js';
import { createLogger, type Logger } from './logging/logger.js';
import { createFollowUpMetrics } from './metrics/follow-up-metrics.js';
import { createMetricsRegistry } from './metrics/metrics.js';
import { createReminderMetrics } from './metrics/reminder-metrics.js';
import { createIncidentMetrics } from './metrics/incident-metrics.js';
import { createRotationMetrics } from './metrics/rotation-metrics.js';
import { storeCatalogFor } from './providers/store-catalog.js';
import { createProviderRegistryFromEnv } from './providers/provider-factory.js';
import type { Fingerprinter } from './providers/fingerprint.js';
import type { ProviderRegistry } from './providers/provider-registry.js';
import { RotationRepo } from './rotation/rotation-repo.js';
import { createRuntime, slackServices, type Runtime } from './runtime.js';
import type { TargetTimeouts } from './targets/target-timeouts.js';
import { auditCheckpointJob, auditPublishJob } from './scheduler/audit-jobs.js';
import { botJobs } from './scheduler/bot-jobs.js';
import { JobScheduler, longestInterval } from './scheduler/job-scheduler.js';
import { sweepHealth } from './scheduler/sweep-health.js';
import { startSlackApp, type SlackState, type StartupRetry } from './slack/app.js';
import type { ReplyPool } from './slack/replies/reply-pool.js';
import { openDatabase } from './storage/database.js';

export interface RotorRuntime {
  mode: 'socket' | 'http';
  port: number;
  /** Runs a scheduled job now (tests and operators' drills); resolves when that run ends. */
  runJob(name: string): Promise<void>;
  /** The worker threads making read-only replies (HTTP mode), for drills and tests; null when the main thread makes them. */
  replyPool: ReplyPool | null;
  /** Stops taking requests, lets running handlers finish, closes the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** Bind address (HTTP mode, and health and metrics in both); wins over HOST. Tests use 127.0.0.1. */
  host?: string;
  retryConfig?: RetryOptions;
  /** The stores; by default AWS and Vault from the environment. */
  providers?: { registry: ProviderRegistry; fingerprinter?: Fingerprinter; close(): void };
  /** How long start-up waits between attempts to reach Slack; tests shorten it. */
  slackStartupRetry?: StartupRetry;
  /** How long a call at a credential target (PostgreSQL, Redis) may take; tests shorten it. */
  targetTimeouts?: TargetTimeouts;
}

/**
 * The composition root: config → database (migrated) → runtime → audit stream → HTTP routes,
 * listening at once → Slack (waited for while it cannot be reached) → jobs.
 */
export async function startRotor(env: BotEnv, options: StartOptions = {}): Promise<RotorRuntime> {
  const logger = options.logger ?? createLogger(env.LOG_LEVEL);
  const clock = options.clock ?? systemClock;
  const policy = loadPolicy(env.ROTOR_CONFIG);
  // Before the database is touched: a bucket that could let a record be rewritten stops start-up.
  const evidenceBucket = policy.evidenceArchive ? await checkedEvidenceBucket(policy.evidenceArchive, logger) : null;
  // The page cache is resident memory for as long as the bot runs, and a whole-table read (a
  // /metrics scrape) would fill a large one; the bot's own queries walk indexes and need little.
  const db = openDatabase(env.ROTOR_DB, { cacheMiB: 8 });
  let runtime: Runtime | undefined;
  let publisher: AuditPublisher | undefined;
  let server: RouteServer | undefined;
  try {
    const auditKeys = HmacKeyring.fromEnv(env.ROTOR_AUDIT_KEY);
    runtime = createRuntime({
      db,
      clock,
      policy,
      logger,
      auditKeys,
      runDeadlineSeconds: env.ROTOR_RUN_DEADLINE_SECONDS,
      targetTimeouts: options.targetTimeouts,
      calendarFeed: env.ROTOR_CALENDAR_TOKEN ? { token: env.ROTOR_CALENDAR_TOKEN, publicUrl: env.ROTOR_PUBLIC_URL ?? null } : null,
      providers:
        options.providers ??
        createProviderRegistryFromEnv(
          env,
          undefined,
          storeCatalogFor({ googleVersionAlias: policy.googleSecretManager.versionAlias }),
          clock,
        ),
      slack: { botToken: env.SLACK_BOT_TOKEN, ...(env.SLACK_API_URL ? { apiUrl: env.SLACK_API_URL } : {}) },
      evidenceBucket,
    });
    const { services, reminders, followUps, announcer } = runtime;
    const auditLogger = logger.child({ component: 'audit' });
    if (!auditKeys) auditLogger.warn(UNKEYED_AUDIT_WARNING);
    if (!env.ROTOR_FINGERPRINT_KEY) logger.warn({ component: 'providers' }, UNKEYED_FINGERPRINT_WARNING);
    services.audit.useCurrentScheme('rotor');
    // Every event reaches the log stream through the publisher, whichever process wrote it.
    const auditPublisher = new AuditPublisher(
      db,
      clock,
      auditKeys,
      {
        event: (event) => auditLogger.info({ audit: event }, 'audit event'),
        checkpoint: (checkpoint) => auditLogger.info({ auditCheckpoint: checkpoint }, 'audit checkpoint'),
      },
      (error) => auditLogger.error({ err: error }, 'could not publish audit events; the next run retries'),
    );
    publisher = auditPublisher;
    services.audit.onAppend(() => auditPublisher.publishSoon());
    const startedAt = clock.now();
    const metrics = Registry.merge([
      createMetricsRegistry({
        countByStatus: () => services.inventory.statusCounts(clock.now(), dueSoonDays(policy)),
        countOverdue: () => services.inventory.countOverdue(clock.now()),
      }),
      createReminderMetrics(reminders.sweepLog),
      createFollowUpMetrics(followUps.repo, followUps.sweepLog),
      createRotationMetrics(new RotationRepo(db)),
      createIncidentMetrics(runtime.revocation),
      runtime.counters.registry,
    ]);
    const calendarToken = env.ROTOR_CALENDAR_TOKEN;
    const calendarDeps = { inventory: services.inventory, history: services.history, windows: services.windows };
    let slackState: SlackState = 'connecting';
    const httpRoutes = createHttpRoutes({
      pingDatabase: () => db.prepare('SELECT 1').get(),
      metrics,
      metricsToken: env.ROTOR_METRICS_TOKEN,
      logger,
      reminderHealth: () => sweepHealth(reminders.sweepLog, clock.now(), 2 * longestInterval(env.ROTOR_REMINDER_CRON), startedAt),
      followUpHealth: () => sweepHealth(followUps.sweepLog, clock.now(), 2 * longestInterval(env.ROTOR_FOLLOW_UP_CRON), startedAt),
      calendar: calendarToken
        ? {
            token: calendarToken,
            // The whole inventory's feed is a map of every secret: only where everyone may read it.
            ...(policy.visibility === 'workspace'
              ? { render: async () => (await calendarCode()).rotationCalendar(calendarDeps, clock.now(), { days: MAX_WINDOW_DAYS }) }
              : {}),
            forPerson: async (userId: string) =>
              (await calendarCode()).rotationCalendar(calendarDeps, clock.now(), {
                days: MAX_WINDOW_DAYS,
                scope: services.inventoryReader.scopeOf(slackActor(userId)),
              }),
          }
        : undefined,
      slackState: () => slackState,
      evidenceArchive: () => runtime?.evidenceArchive?.health(ARCHIVE_FOLLOW_UP) ?? ARCHIVE_NOT_CONFIGURED,
    });
    const announceChannel = policy.channels.announce;
    const scheduler = new JobScheduler(
      [
        ...botJobs(runtime, { reminders: env.ROTOR_REMINDER_CRON, sync: env.ROTOR_SYNC_CRON, followUps: env.ROTOR_FOLLOW_UP_CRON }),
        auditPublishJob({ publisher: auditPublisher }),
        auditCheckpointJob({
          checkpoints: new DailyCheckpoints(db, clock, services.audit),
          post: async (checkpoint) =>
            announceChannel ? announcer.announce(announceChannel, { kind: 'audit_checkpoint', checkpoint }) : undefined,
          logger,
        }),
      ],
      logger,
    );
    // Health answers before Slack is reached, so an orchestrator sees "Slack unreachable", not silence.
    const routeServer = new RouteServer(httpRoutes);
    server = routeServer;
    const host = options.host ?? env.HOST;
    const port = await routeServer.listen(env.PORT, host ?? '0.0.0.0');
    const slack = await startSlackApp({
      botToken: env.SLACK_BOT_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET,
      appToken: env.SLACK_APP_TOKEN,
      apiUrl: env.SLACK_API_URL,
      server: routeServer,
      db,
      services: slackServices(runtime),
      counters: runtime.counters,
      logger,
      retryConfig: options.retryConfig,
      startupRetry: options.slackStartupRetry,
      onSlackState: (state) => (slackState = state),
      replyWorkers: { count: env.ROTOR_REPLY_WORKERS ?? defaultReplyWorkers(), dbPath: env.ROTOR_DB, refusals: runtime.services.refusals },
    });
    let roleGroupsKnown: boolean;
    try {
      // A role naming a user group Slack does not know stops start-up, like any other policy error.
      roleGroupsKnown = await checkRoleGroups(createOutboundClients(env.SLACK_BOT_TOKEN, env.SLACK_API_URL).read, services, logger);
    } catch (error) {
      await slack.stop();
      throw error;
    }
    // People removed from the policy's roles since the last start: what they could read needs
    // rotating. After the group check, so a role naming a group is compared by its members.
    for (const change of runtime.departures.reconcileRoles(roleGroupsKnown)) {
      logger.info(
        { component: 'personnel', user: change.userId, roles: change.roles, secrets: change.needs.length },
        'removed from policy roles: rotations needed',
      );
    }
    // The start-up sweeps run in the background; their outcomes are logged and reported by the jobs.
    void scheduler.start();
    logger.info({ mode: slack.mode, host: host ?? '0.0.0.0', port, database: env.ROTOR_DB }, 'Rotor is running');
    const started = runtime;
    let stopping: Promise<void> | undefined;
    return {
      mode: slack.mode,
      port,
      replyPool: slack.replyPool,
      runJob: (name) => scheduler.trigger(name),
      stop() {
        stopping ??= (async () => {
          await Promise.all([slack.stop(), scheduler.stop()]);
          await started.settled();
          await routeServer.close();
          started.close();
          auditPublisher.close();
          db.close();
          logger.info('Rotor stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    publisher?.close();
    await server?.close();
    if (runtime) runtime.close();
    else evidenceBucket?.destroy();
    db.close();
    throw error;
  }
}

/**
 * The feeds' code and the ics package it writes with, loaded by the first feed asked for: most
 * bots serve none, and every bot process (each test's, each kill test's) would pay it at start-up.
 */
const calendarCode = loadedOnFirstUse('the calendar feed', () => import('./reminders/rotation-calendar.js'));

const ARCHIVE_NOT_CONFIGURED = {
  state: 'not_configured',
  detail: 'no evidence_archive in the policy: rotation and incident evidence is not archived',
} as const;

/**
 * The evidence bucket, checked: one without versioning or Object Lock (or missing, or refusing
 * Rotor) stops start-up with what to set. One that cannot be reached now does not stop the bot:
 * it is checked again before the first record is written, and archiving waits until then.
 */
async function checkedEvidenceBucket(settings: EvidenceArchivePolicy, logger: Logger): Promise<EvidenceBucket> {
  const bucket = openEvidenceBucket(settings);
  try {
    await bucket.check();
    return bucket;
  } catch (error) {
    if (isRotorError(error) && error.code === 'provider_unavailable') {
      logger.warn(
        { component: 'evidence-archive', err: error },
        'could not reach the evidence archive bucket at start-up; it is checked again before the first record is written',
      );
      return bucket;
    }
    bucket.destroy();
    throw error;
  }
}

/** One reply worker per core but the one that acknowledges, at least one and at most four. */
function defaultReplyWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

const UNKEYED_FINGERPRINT_WARNING =
  'ROTOR_FINGERPRINT_KEY is not set: fingerprints are the plain SHA-256 of each value, which anyone holding the database or an audit export can test guesses against. Set ROTOR_FINGERPRINT_KEY (openssl rand -hex 32) to key them.';

const UNKEYED_AUDIT_WARNING =
  'ROTOR_AUDIT_KEY is not set: the audit chain is plain SHA-256, which shows accidental damage but not a deliberate edit by anyone who can write the database file. Set ROTOR_AUDIT_KEY (openssl rand -hex 32) to key it.';

async function main(): Promise<void> {
  quietAwsSdkNodeWarning();
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
