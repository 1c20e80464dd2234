import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from 'pino';

/**
 * Slack re-sends a request (with X-Slack-Retry-Num) when it did not see our 200 in time. Every
 * request Rotor receives is acknowledged before any work (events by Bolt itself, commands and
 * interactions first thing in each listener), so a retry means the first delivery arrived and
 * is being handled: the retry is acknowledged and dropped. This needs no shared state, so it
 * holds across replicas too. Caveat: if the first delivery never reached any replica, the
 * retry is dropped as well; for Rotor's only event, app_home_opened, the next tab open
 * republishes the Home view. Slash commands and interactions are never retried by Slack.
 */
export function skipRetriesMiddleware(logger: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    // HTTP sends no retry header on a first delivery; Socket Mode sends retry_attempt 0.
    if ((args.context.retryNum ?? 0) === 0) {
      await args.next();
      return;
    }
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
    logger.info(
      { retryNum: args.context.retryNum, retryReason: args.context.retryReason },
      'slack retry acknowledged without reprocessing',
    );
  };
}
