import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import { isRotorError } from '../../core/errors.js';
import type { RotorCounters } from '../../metrics/metrics.js';
import { COMMANDS } from '../ids.js';
import { SUBCOMMANDS } from '../listeners/commands/secrets-command-parser.js';
import { acknowledgementOf } from './acknowledgement.js';

/** What a request was, for the log: never its free text, which a person could paste a secret into. */
export function describeRequest(body: AnyMiddlewareArgs['body'] | Record<string, unknown>): { kind: string; name?: string; user?: string } {
  const raw = body as Record<string, unknown>;
  if (typeof raw.command === 'string') {
    // Only a known /secrets subcommand is named: any other word (a mistyped subcommand, a
    // /rotate or /revoke argument) could be a value pasted into the wrong box.
    const first = typeof raw.text === 'string' ? raw.text.trim().split(/\s+/)[0]?.toLowerCase() : undefined;
    const sub =
      raw.command === COMMANDS.secrets && first !== undefined && (SUBCOMMANDS as readonly string[]).includes(first) ? first : undefined;
    return { kind: 'command', name: sub ? `${raw.command} ${sub}` : raw.command, user: raw.user_id as string };
  }
  const user = (raw.user as { id?: string } | undefined)?.id;
  if (raw.type === 'block_actions') {
    const actionId = (raw.actions as { action_id?: string }[] | undefined)?.[0]?.action_id;
    return { kind: 'action', name: actionId, user };
  }
  if (raw.type === 'view_submission' || raw.type === 'view_closed') {
    return { kind: raw.type, name: (raw.view as { callback_id?: string } | undefined)?.callback_id, user };
  }
  if (raw.type === 'shortcut' || raw.type === 'message_action') {
    return { kind: raw.type, name: raw.callback_id as string | undefined, user };
  }
  if (raw.type === 'block_suggestion') {
    // Never `value`: it is what the person is typing.
    return { kind: raw.type, name: raw.action_id as string | undefined, user };
  }
  if (raw.type === 'event_callback') {
    const event = raw.event as { type?: string; user?: string } | undefined;
    return { kind: 'event', name: event?.type, user: event?.user };
  }
  return { kind: String(raw.type ?? 'unknown') };
}

/**
 * The logger of the one line each request gets. Its keys are fixed (describeRequest's, the
 * outcome, the latency, the retry number), none of them a redacted path, so redaction (some ninety
 * paths, wildcards among them, walked for every line: about 0.2 ms of CPU, twenty times the rest of
 * the line) could censor nothing there; at a line a request, it is left out of this logger only.
 */
export function requestLineLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}

/**
 * Global middleware, first in the chain: one JSON log line per request with its latency and
 * outcome (`ok`, `rejected`, `error`, or `unhandled` when only a fallback answered it).
 */
export function requestLogMiddleware(
  logger: Logger,
  { slackRequestsHandled }: Pick<RotorCounters, 'slackRequestsHandled'>,
): Middleware<AnyMiddlewareArgs> {
  const line = requestLineLogger(logger);
  return async ({ body, next, context }) => {
    const started = performance.now();
    const request = describeRequest(body);
    let outcome = 'ok';
    try {
      await next();
      if (acknowledgementOf(context)?.unhandled) outcome = 'unhandled';
    } catch (error) {
      outcome = isRotorError(error) ? 'rejected' : 'error';
      throw error;
    } finally {
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      slackRequestsHandled.inc({ kind: request.kind, outcome });
      line.info({ ...request, retryNum: context.retryNum, outcome, latencyMs }, 'slack request handled');
    }
  };
}
