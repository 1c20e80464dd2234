import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { RotorCounters } from '../../metrics/metrics.js';
import { ACTION_IDS, COMMANDS } from '../ids.js';
import { parseSecretsCommand } from '../listeners/commands/secrets-command-parser.js';
import { describeRequest, requestLineLogger } from '../middleware/request-log.js';
import { isOurWorkspace, requestOrigin, type TokenWorkspace } from '../middleware/workspace-guard.js';
import { readRequestOf, type ReadRequest } from './read-replies.js';
import type { ReplyPool } from './reply-pool.js';
import type { ReplyOutcome } from './reply-protocol.js';

export interface OffloadDeps {
  pool: Pick<ReplyPool, 'run'>;
  workspace: TokenWorkspace;
  environments: readonly string[];
  clock: Clock;
  counters: Pick<RotorCounters, 'slackRequestsHandled'>;
  logger: Logger;
}

/** A verified, acknowledged request's body; answers whether it was taken, and when its reply is done. */
export type Offload = (body: Record<string, unknown>) => Promise<void> | null;

/**
 * Takes the read-only requests (a `/secrets overdue|due|list|show`, a "Show more" click) of this
 * workspace to the reply workers, past Bolt: what Bolt's middleware would do for them (the
 * workspace check, the log line and its metric, the error reply) is done here. Anything else,
 * and a request for another workspace (Bolt refuses it), is left to Bolt: null.
 */
export function offloadReads(deps: OffloadDeps): Offload {
  // Each reply's line is written here, on the acknowledging thread: a `/secrets show` reply comes
  // back within milliseconds, so in a burst these lines land among the acks (an overdue page's come
  // later), and through pino's redaction each cost 0.2 ms of the thread's CPU (requestLineLogger).
  const line = requestLineLogger(deps.logger);
  return (body) => {
    const request = readRequestIn(body, deps.environments);
    const viewer = viewerOf(body);
    if (!request || !viewer || typeof body.response_url !== 'string') return null;
    if (!isOurWorkspace(deps.workspace, requestOrigin(body))) return null;
    const started = performance.now();
    const today = deps.clock.now().toISO() as string;
    // The log line's fields are taken now: the parsed body is not kept while the reply waits for a worker.
    const described = describeRequest(body);
    return finish(deps.pool.run({ request, viewer, responseUrl: body.response_url, today }), described, started);
  };

  /** Made outside the request's closure, so a waiting reply holds only its job and these few fields. */
  function finish(reply: Promise<ReplyOutcome>, described: ReturnType<typeof describeRequest>, started: number): Promise<void> {
    return reply.then((result) => {
      const outcome = result.outcome === 'ok' ? 'ok' : result.outcome === 'rejected' ? 'rejected' : 'error';
      if (result.outcome === 'rejected') deps.logger.info({ code: result.code }, 'request refused or failed with a known error');
      if (result.outcome === 'error') deps.logger.error({ err: result.error, told: result.delivered }, 'a read-only reply failed');
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      deps.counters.slackRequestsHandled.inc({ kind: described.kind, outcome });
      line.info({ ...described, outcome, latencyMs, replyWorker: true }, 'slack request handled');
    });
  }
}

function readRequestIn(body: Record<string, unknown>, environments: readonly string[]): ReadRequest | null {
  if (body.command === COMMANDS.secrets && typeof body.text === 'string') {
    const parsed = parseSecretsCommand(body.text, environments);
    return parsed.kind === 'invalid' ? null : readRequestOf(parsed);
  }
  if (body.type === 'block_actions' && Array.isArray(body.actions) && body.actions.length === 1) {
    const action = body.actions[0] as { action_id?: unknown; value?: unknown };
    if (action.action_id === ACTION_IDS.listMore) return { kind: 'more', value: typeof action.value === 'string' ? action.value : '' };
  }
  return null;
}

/** Who asked, and where: the slash command's user and channel, or the clicking member's. */
function viewerOf(body: Record<string, unknown>): { userId: string; channelId?: string } | null {
  const user = typeof body.user_id === 'string' ? body.user_id : (body.user as { id?: unknown } | undefined)?.id;
  const channel = typeof body.channel_id === 'string' ? body.channel_id : (body.channel as { id?: unknown } | undefined)?.id;
  if (typeof user !== 'string') return null;
  return typeof channel === 'string' ? { userId: user, channelId: channel } : { userId: user };
}
