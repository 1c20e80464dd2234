import { App, HTTPReceiver, SocketModeReceiver, type Receiver } from '@slack/bolt';
import { WebClient, type RetryOptions } from '@slack/web-api';
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Logger } from 'pino';
import { notFound, type RouteServer } from '../http/route-server.js';
import { toBoltLogger } from '../logging/bolt-logger.js';
import { systemClock } from '../core/clock.js';
import { RotorError } from '../core/errors.js';
import type { Db } from '../storage/database.js';
import {
  answerErrorsWhereAsked,
  createSlackErrorHandler,
  isPlatformError,
  isSlackUnavailableError,
  slackUnavailableCode,
} from './errors.js';
import { AckFirstQueue } from './inbound/ack-first-queue.js';
import { gateSignedRequests } from './inbound/request-gate.js';
import { SeenSignatureRepo } from './inbound/seen-signature-repo.js';
import { createHttpFetch } from './http-fetch.js';
import { createInstrumentedFetch } from './instrumented-fetch.js';
import { registerListeners } from './listeners/index.js';
import { ACKED_EARLY_PROPERTY, answerUnhandledMiddleware, trackAcknowledgements } from './middleware/acknowledgement.js';
import { InFlightRequests } from './middleware/in-flight-requests.js';
import { requestLogMiddleware } from './middleware/request-log.js';
import { skipRetriesMiddleware } from './middleware/skip-retries.js';
import { sealViewMetadata } from './middleware/sealed-view-metadata.js';
import { workspaceGuardMiddleware, type TokenWorkspace } from './middleware/workspace-guard.js';
import { refreshUserGroups } from './outbound/slack-user-groups.js';
import { answerRead, type ReplyContext } from './replies/answer-read.js';
import { offloadReads } from './replies/offload-reads.js';
import { ReplyPool } from './replies/reply-pool.js';
import type { RotorCounters } from '../metrics/metrics.js';
import type { SlackDeps } from './slack-deps.js';
import type { RefusalLog } from '../access/refusal-log.js';
import { ViewMetadataSeal } from './view-metadata-seal.js';

export interface SlackAppOptions {
  botToken: string;
  signingSecret: string;
  /** Present: Socket Mode. Absent: HTTP mode, Slack's requests arriving through `server`. */
  appToken?: string;
  /** Web API base URL; tests point it at the fake Slack server. */
  apiUrl?: string;
  /** Rotor's HTTP server, already serving health and metrics; in HTTP mode it carries Slack's requests too. */
  server: RouteServer;
  /** The database the replayed-signature check records in. */
  db: Db;
  /** What the listeners use: built by the composition root (`slackServices` in src/runtime.ts). */
  services: Omit<SlackDeps, 'logger'>;
  /** The runtime's Prometheus counters: Slack calls and requests are counted there. */
  counters: RotorCounters;
  logger: Logger;
  /** web-api retries for up to half an hour by default; tests bound it. */
  retryConfig?: RetryOptions;
  /** How start-up waits for a Slack it cannot reach; tests shorten it. */
  startupRetry?: StartupRetry;
  /** Told what start-up knows of Slack, for /healthz. */
  onSlackState?: (state: SlackState) => void;
  /** HTTP mode: worker threads that make the read-only replies off the acknowledging thread (ROTOR_REPLY_WORKERS); none with 0. */
  replyWorkers?: { count: number; dbPath: string; refusals: Pick<RefusalLog, 'record'> };
}

/** What /healthz says of Slack: not asked yet, not answering, or the bot token verified. */
export type SlackState = 'connecting' | 'unreachable' | 'ok';

/** Waits between auth.test attempts while Slack cannot be reached: doubling from the first, up to the longest. */
export interface StartupRetry {
  firstDelayMs: number;
  longestDelayMs: number;
}

const DEFAULT_STARTUP_RETRY: StartupRetry = { firstDelayMs: 1_000, longestDelayMs: 60_000 };
/** One auth.test attempt gives up after this long, so a black-holed connection is retried too. */
const AUTH_TEST_TIMEOUT_MS = 10_000;

export interface SlackApp {
  app: App;
  mode: 'socket' | 'http';
  inFlight: InFlightRequests;
  /** The reply workers, when there are any. */
  replyPool: ReplyPool | null;
  /** Stops taking Slack requests, then waits (bounded) for handlers already running. */
  stop(drainTimeoutMs?: number): Promise<void>;
}

/**
 * Connects Rotor to Slack and starts taking its requests. The bot token is checked first
 * (auth.test, retried with backoff while Slack cannot be reached, each wait logged on one line),
 * and its bot ids handed to Bolt so it makes no call of its own: a rejected token stops start-up
 * with one clear line instead of an unhandled rejection. Until then, Slack's requests are answered
 * 503 (Slack retries events), while health and metrics already answer.
 */
export async function startSlackApp(options: SlackAppOptions): Promise<SlackApp> {
  const logger = options.logger.child({ component: 'slack' });
  const boltLogger = toBoltLogger(options.logger);
  const inFlight = new InFlightRequests();
  const mode = options.appToken ? 'socket' : 'http';
  if (mode === 'http') options.server.handleOthers(notReady);
  const eventsPath = '/slack/events';

  const webApiTarget = {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    ...(options.retryConfig ? { retryConfig: options.retryConfig } : {}),
  };
  const clientOptions = {
    ...webApiTarget,
    logger: boltLogger,
    fetch: createInstrumentedFetch(options.counters, createHttpFetch()),
  };
  // One attempt per call, and its failure said once, by verifyBotToken's own line (web-api's goes to debug).
  const verifierLogger = { ...boltLogger, warn: boltLogger.debug };
  const verifier = new WebClient(options.botToken, {
    ...clientOptions,
    logger: verifierLogger,
    retryConfig: { retries: 0 },
    timeout: AUTH_TEST_TIMEOUT_MS,
  });
  const bot = await verifyBotToken(
    verifier,
    logger,
    options.startupRetry ?? DEFAULT_STARTUP_RETRY,
    options.onSlackState ?? (() => undefined),
  );

  const afterAck = new AckFirstQueue();
  const ackedEarly = new WeakSet<IncomingMessage>();
  const receiver: Receiver =
    mode === 'socket'
      ? new SocketModeReceiver({
          appToken: options.appToken as string,
          logger: boltLogger,
          // The socket client asks apps.connections.open for its WebSocket URL at the same Web API.
          installerOptions: { clientOptions: webApiTarget },
        })
      : new HTTPReceiver({
          signingSecret: options.signingSecret,
          endpoints: [eventsPath],
          logger: boltLogger,
          // Ack first, work after: the 200 leaves before listeners' slow work, as Slack's 3 s window needs.
          processBeforeResponse: false,
          customPropertiesExtractor: (req) => (ackedEarly.has(req) ? { [ACKED_EARLY_PROPERTY]: true } : {}),
        });

  // The workers' asks for user groups go through the app's client, made below.
  let appClient: WebClient | null = null;
  const replyPool = receiver instanceof HTTPReceiver ? startReplyPool(options, logger, () => appClient) : null;
  if (receiver instanceof HTTPReceiver) {
    // Socket Mode needs no such gate: it has no endpoint to post to (see README, Security).
    receiver.requestListener = gateSignedRequests(receiver.requestListener, {
      signingSecret: options.signingSecret,
      endpoint: eventsPath,
      seen: new SeenSignatureRepo(options.db),
      nowSeconds: () => systemClock.now().toSeconds(),
      logger,
      afterAck,
      ackedEarly,
      inFlight,
      ...(replyPool
        ? {
            offload: offloadReads({
              pool: replyPool,
              workspace: bot.workspace,
              environments: options.services.policy.environments,
              clock: options.services.clock,
              counters: options.counters,
              logger,
            }),
          }
        : {}),
    });
  }

  const app = new App({
    token: options.botToken,
    botId: bot.botId,
    botUserId: bot.botUserId,
    receiver,
    logger: boltLogger,
    extendedErrorHandler: true,
    clientOptions,
    // Rotor keeps no per-conversation state in Bolt; the default store costs every request a
    // lookup that fails with a new Error.
    convoStore: false,
  });

  appClient = app.client;
  trackAcknowledgements(app, afterAck, inFlight);
  sealViewMetadata(app, new ViewMetadataSeal(options.signingSecret), logger);
  app.use(requestLogMiddleware(logger, options.counters));
  app.use(answerUnhandledMiddleware(logger));
  app.use(skipRetriesMiddleware(logger));
  app.use(workspaceGuardMiddleware(bot.workspace, logger));
  const actions = registerListeners(app, { ...options.services, logger });
  const refusals = { modalRenderer: (callbackId: string) => actions.modalRefusalRenderer(callbackId) };
  app.use(answerErrorsWhereAsked(logger, refusals));
  app.error(createSlackErrorHandler(logger, refusals));

  if (receiver instanceof HTTPReceiver) {
    // Bolt's receiver routes Slack's endpoint; Rotor's server owns the port and the other routes.
    options.server.handleOthers((req, res) => {
      try {
        receiver.requestListener(req, res);
      } catch {
        notFound(req, res);
      }
    });
  } else {
    await (receiver as SocketModeReceiver).start();
  }

  return {
    app,
    mode,
    inFlight,
    replyPool,
    async stop(drainTimeoutMs = 10_000) {
      if (receiver instanceof HTTPReceiver) options.server.handleOthers(notReady);
      else await receiver.stop();
      await inFlight.drained(drainTimeoutMs);
      await replyPool?.close();
    },
  };
}

/**
 * The reply workers, over the database file (an in-memory database has no file a worker could
 * open). What they ask of this thread (a refusal's audit event, Slack's user groups) is done with
 * the bot's own services, as a reply made here does it.
 */
function startReplyPool(options: SlackAppOptions, logger: Logger, client: () => WebClient | null): ReplyPool | null {
  const workers = options.replyWorkers;
  if (!workers || workers.count === 0 || workers.dbPath === ':memory:') return null;
  const { services } = options;
  const dueSoonDays = services.policy.reminders.offsetsDays;
  const main: ReplyContext['main'] = {
    recordRefusals: async (refusals) => {
      for (const refusal of refusals) workers.refusals.record(refusal);
    },
    refreshUserGroups: async () => {
      const slack = client();
      if (slack) await refreshUserGroups(slack, services, logger);
    },
  };
  const context: ReplyContext = {
    reads: { inventory: services.inventory, needs: services.rotationNeeds, userGroups: services.userGroups },
    policy: services.policy,
    dueSoonDays,
    main,
  };
  return new ReplyPool({
    size: workers.count,
    worker: { dbPath: workers.dbPath, dueSoonDays, policy: services.policy },
    logger,
    main,
    fallback: (job) => answerRead(context, job),
  });
}

/** Slack's requests while Rotor is not (or no longer) taking them: Slack retries an event it did not get. */
const notReady: RequestListener = (_req, res) => {
  res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '5' });
  res.end(JSON.stringify({ status: 'unavailable', slack: 'not ready' }));
};

/**
 * The bot's ids once Slack accepts the token, and the workspace (auth.test) and app (bots.info;
 * auth.test does not say) it belongs to. Slack not answering (no connection, 5xx, rate
 * limits) is waited out, with a doubling delay and one log line per attempt; Slack refusing the
 * token stops start-up with one clear line.
 */
async function verifyBotToken(
  client: WebClient,
  logger: Logger,
  retry: StartupRetry,
  onState: (state: SlackState) => void,
): Promise<{ botId: string; botUserId: string; workspace: TokenWorkspace }> {
  onState('connecting');
  for (let attempt = 1, delayMs = retry.firstDelayMs; ; attempt += 1, delayMs = Math.min(delayMs * 2, retry.longestDelayMs)) {
    try {
      const result = await client.auth.test();
      if (!result.bot_id || !result.user_id || !result.team_id)
        throw new RotorError(
          'config',
          'SLACK_BOT_TOKEN is not a bot token: use the Bot User OAuth Token (see "Create the Slack app" in README.md).',
        );
      const workspace = {
        teamId: result.team_id,
        appId: await appIdOf(client, result.bot_id, logger),
        enterpriseId: result.is_enterprise_install && result.enterprise_id ? result.enterprise_id : null,
      };
      onState('ok');
      return { botId: result.bot_id, botUserId: result.user_id, workspace };
    } catch (cause) {
      if (cause instanceof RotorError) throw cause;
      if (!isSlackUnavailableError(cause)) {
        const reason = isPlatformError(cause) ? cause.data.error : (cause as Error).message;
        throw new RotorError(
          'config',
          `Slack rejected SLACK_BOT_TOKEN (${reason}): copy the Bot User OAuth Token again (see "Create the Slack app" in README.md).`,
          { cause },
        );
      }
      onState('unreachable');
      const waitMs = Math.max(delayMs, 'retryAfter' in cause ? cause.retryAfter * 1000 : 0);
      logger.warn(
        { attempt, reason: slackUnavailableCode(cause), retryInSeconds: waitMs / 1000 },
        'Slack cannot be reached to verify SLACK_BOT_TOKEN; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

/** The app the bot belongs to; null (requests are then checked for the workspace only) when Slack cannot say. */
async function appIdOf(client: WebClient, botId: string, logger: Logger): Promise<string | null> {
  let reason: string;
  try {
    const appId = (await client.bots.info({ bot: botId })).bot?.app_id;
    if (appId) return appId;
    reason = 'no app id in the answer';
  } catch (error) {
    reason = isPlatformError(error) ? error.data.error : (error as Error).message;
  }
  logger.warn({ reason }, 'could not learn the Slack app id (bots.info): requests are checked for the workspace only, not the app');
  return null;
}
