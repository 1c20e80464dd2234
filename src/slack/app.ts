import { App, HTTPReceiver, SocketModeReceiver, type CustomRoute, type Receiver } from '@slack/bolt';
import { WebClient, type RetryOptions } from '@slack/web-api';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { RouteServer } from '../http/route-server.js';
import { toBoltLogger } from '../logging/bolt-logger.js';
import { systemClock } from '../core/clock.js';
import { RotorError } from '../core/errors.js';
import type { Runtime } from '../runtime.js';
import { createSlackErrorHandler, isPlatformError } from './errors.js';
import { gateSignedRequests } from './inbound/request-gate.js';
import { SeenSignatureRepo } from './inbound/seen-signature-repo.js';
import { createInstrumentedFetch } from './instrumented-fetch.js';
import { registerListeners } from './listeners/index.js';
import { InFlightRequests, requestLogMiddleware } from './middleware/request-log.js';
import { skipRetriesMiddleware } from './middleware/skip-retries.js';
import { workspaceGuardMiddleware, type TokenWorkspace } from './middleware/workspace-guard.js';

export interface SlackAppOptions {
  botToken: string;
  signingSecret: string;
  /** Present: Socket Mode. Absent: HTTP mode on `port`. */
  appToken?: string;
  /** Web API base URL; tests point it at the fake Slack server. */
  apiUrl?: string;
  port: number;
  /** Health and metrics routes, served in both modes. */
  httpRoutes: CustomRoute[];
  runtime: Runtime;
  logger: Logger;
  /** web-api retries for up to half an hour by default; tests bound it. */
  retryConfig?: RetryOptions;
}

export interface SlackApp {
  app: App;
  mode: 'socket' | 'http';
  inFlight: InFlightRequests;
  /** Starts listening; resolves with the bound HTTP port (Slack events in HTTP mode; health and metrics in both). */
  start(host?: string): Promise<number>;
  /** Stops taking requests, then waits (bounded) for handlers already running. */
  stop(drainTimeoutMs?: number): Promise<void>;
}

/**
 * Builds the Bolt app with Rotor's listeners, middleware and error handler. The bot token is
 * checked first (one auth.test), and its bot ids handed to Bolt so it makes no call of its own:
 * a rejected token then stops start-up with one clear line instead of an unhandled rejection.
 */
export async function createSlackApp(options: SlackAppOptions): Promise<SlackApp> {
  const logger = options.logger.child({ component: 'slack' });
  const boltLogger = toBoltLogger(options.logger);
  const inFlight = new InFlightRequests();
  const routeServer = new RouteServer(options.httpRoutes);
  const mode = options.appToken ? 'socket' : 'http';
  const eventsPath = '/slack/events';

  const webApiTarget = {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    ...(options.retryConfig ? { retryConfig: options.retryConfig } : {}),
  };
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
          customRoutes: options.httpRoutes,
          // Ack first, work after: the 200 leaves before listeners' slow work, as Slack's 3 s window needs.
          processBeforeResponse: false,
        });

  if (receiver instanceof HTTPReceiver) {
    // Socket Mode needs no such gate: it has no endpoint to post to (see README, Security).
    receiver.requestListener = gateSignedRequests(receiver.requestListener, {
      signingSecret: options.signingSecret,
      endpoint: eventsPath,
      seen: new SeenSignatureRepo(options.runtime.services.db),
      nowSeconds: () => systemClock.now().toSeconds(),
      logger,
    });
  }

  const clientOptions = {
    ...webApiTarget,
    logger: boltLogger,
    fetch: createInstrumentedFetch(),
  };
  const bot = await verifyBotToken(new WebClient(options.botToken, clientOptions), logger);

  const app = new App({
    token: options.botToken,
    botId: bot.botId,
    botUserId: bot.botUserId,
    receiver,
    logger: boltLogger,
    extendedErrorHandler: true,
    clientOptions,
  });

  app.use(requestLogMiddleware(logger, inFlight));
  app.use(skipRetriesMiddleware(logger));
  app.use(workspaceGuardMiddleware(bot.workspace, logger));
  registerListeners(app, { runtime: options.runtime, logger });
  app.error(createSlackErrorHandler(logger));

  return {
    app,
    mode,
    inFlight,
    async start(host = '0.0.0.0') {
      if (receiver instanceof HTTPReceiver) {
        const server = await receiver.start({ port: options.port, host });
        return (server.address() as AddressInfo).port;
      }
      const port = await routeServer.listen(options.port, host);
      await (receiver as SocketModeReceiver).start();
      return port;
    },
    async stop(drainTimeoutMs = 10_000) {
      await receiver.stop();
      await inFlight.drained(drainTimeoutMs);
      await routeServer.close();
    },
  };
}

/**
 * Fails start-up with one clear line when Slack does not accept the bot token. Also learns the
 * workspace (auth.test) and the app (bots.info; auth.test does not say) the token belongs to.
 */
async function verifyBotToken(client: WebClient, logger: Logger): Promise<{ botId: string; botUserId: string; workspace: TokenWorkspace }> {
  try {
    const result = await client.auth.test();
    if (!result.bot_id || !result.user_id || !result.team_id) throw new RotorError('config', 'SLACK_BOT_TOKEN is not a bot token: use the Bot User OAuth Token (see "Create the Slack app" in README.md).');
    return { botId: result.bot_id, botUserId: result.user_id, workspace: { teamId: result.team_id, appId: await appIdOf(client, result.bot_id, logger) } };
  } catch (cause) {
    if (cause instanceof RotorError) throw cause;
    const reason = isPlatformError(cause) ? cause.data.error : (cause as Error).message;
    throw new RotorError('config', `Slack rejected SLACK_BOT_TOKEN (${reason}): copy the Bot User OAuth Token again (see "Create the Slack app" in README.md).`, { cause });
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
