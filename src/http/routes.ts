import type { CustomRoute } from '@slack/bolt';
import { timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Registry } from '../metrics/prometheus.js';
import type { Logger } from 'pino';
import type { EvidenceArchiveHealth } from '../evidence-archive/evidence-archive-service.js';
import { SLACK_USER_ID } from '../inventory/secret.js';
import { personalFeedToken } from '../reminders/calendar-feed-token.js';

export interface SweepHealth {
  healthy: boolean;
  lastSuccessfulSweep: string | null;
}

export interface HttpRouteDeps {
  /** Throws when the database does not answer. */
  pingDatabase: () => void;
  metrics: Registry;
  /** ROTOR_METRICS_TOKEN: when set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
  logger: Logger;
  /** Reminder sweep freshness; unhealthy when the last successful sweep is too old. */
  reminderHealth?: () => SweepHealth;
  /** Follow-up sweep freshness, the same way. */
  followUpHealth?: () => SweepHealth;
  /**
   * The read-only rotation calendar feeds; absent (ROTOR_CALENDAR_TOKEN unset) means none.
   * `render`: the whole inventory's feed at `?token=<token>` (only under `visibility: workspace`);
   * `forPerson`: one member's feed at `?user=U…&token=<personalFeedToken>`, what they may read.
   * Either may answer later: the bot loads the calendar's code with the first request for a feed.
   */
  calendar?: { token: string; render?: () => Feed; forPerson?: (userId: string) => Feed };
  /** What start-up knows of Slack: healthy only once Slack accepted the bot token. */
  slackState?: () => 'connecting' | 'unreachable' | 'ok';
  /**
   * Where evidence is archived and whether archiving keeps up; reported, never a reason for 503
   * (a failing archive retries on its own, and restarting the bot would not help it).
   */
  evidenceArchive?: () => EvidenceArchiveHealth;
}

/** An iCalendar feed's text, or its promise. */
type Feed = string | Promise<string>;

/** GET /healthz and GET /metrics, served beside Slack's endpoint in HTTP and Socket Mode alike. */
export function createHttpRoutes(deps: HttpRouteDeps): CustomRoute[] {
  return [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => {
        try {
          deps.pingDatabase();
          const reminders = deps.reminderHealth?.();
          const followUps = deps.followUpHealth?.();
          const slack = deps.slackState?.();
          const body = {
            database: 'ok',
            ...(slack ? { slack } : {}),
            ...(reminders ? { reminders: reminders.healthy ? 'ok' : 'stale', lastSuccessfulSweep: reminders.lastSuccessfulSweep } : {}),
            ...(followUps
              ? { followUps: followUps.healthy ? 'ok' : 'stale', lastSuccessfulFollowUpSweep: followUps.lastSuccessfulSweep }
              : {}),
            ...(deps.evidenceArchive ? { evidenceArchive: deps.evidenceArchive() } : {}),
          };
          const healthy = (reminders?.healthy ?? true) && (followUps?.healthy ?? true) && (slack ?? 'ok') === 'ok';
          sendJson(res, healthy ? 200 : 503, { status: healthy ? 'ok' : 'unavailable', ...body });
        } catch (error) {
          deps.logger.error({ err: error }, 'health check failed: database unreachable');
          sendJson(res, 503, { status: 'unavailable', database: 'unreachable' });
        }
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (req, res) => {
        if (deps.metricsToken && !sameToken(bearerToken(req.headers.authorization), deps.metricsToken)) {
          res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Bearer realm="rotor metrics"' });
          res.end('Unauthorized');
          return;
        }
        deps.metrics.metrics().then(
          (text) => {
            res.writeHead(200, { 'Content-Type': deps.metrics.contentType });
            res.end(text);
          },
          (error: unknown) => {
            deps.logger.error({ err: error }, 'metrics collection failed');
            sendJson(res, 500, { status: 'error' });
          },
        );
      },
    },
    {
      path: '/calendar.ics',
      method: ['GET'],
      handler: (req, res) => {
        const render = deps.calendar ? feedFor(deps.calendar, new URL(req.url ?? '/', 'http://localhost').searchParams) : undefined;
        // A missing feed and a wrong token look the same: 404, so the URL reveals nothing.
        if (!render) {
          res.writeHead(404, { 'Content-Type': 'text/plain' });
          res.end('Not found');
          return;
        }
        void Promise.resolve()
          .then(render)
          .then(
            (body) => {
              res.writeHead(200, { 'Content-Type': 'text/calendar; charset=utf-8', 'Cache-Control': 'no-store' });
              res.end(body);
            },
            (error: unknown) => {
              deps.logger.error({ err: error }, 'calendar feed failed');
              sendJson(res, 500, { status: 'error' });
            },
          )
          // Answering failed itself (the connection gone, headers already sent): logged, never an unhandled rejection.
          .catch((error: unknown) => {
            deps.logger.error({ err: error }, 'calendar feed answer failed');
            if (!res.writableEnded) res.destroy();
          });
      },
    },
  ];
}

/** The feed a request's `user` and `token` open, if any: one member's (`user` given) or the whole inventory's. */
function feedFor(calendar: NonNullable<HttpRouteDeps['calendar']>, params: URLSearchParams): (() => Feed) | undefined {
  const given = params.get('token') ?? '';
  const user = params.get('user');
  if (user === null) return sameToken(given, calendar.token) ? calendar.render : undefined;
  const forPerson = calendar.forPerson;
  if (!forPerson || !SLACK_USER_ID.test(user) || !sameToken(given, personalFeedToken(calendar.token, user))) return undefined;
  return () => forPerson(user);
}

function bearerToken(header: string | undefined): string {
  const match = /^Bearer +(\S+)$/i.exec(header?.trim() ?? '');
  return match?.[1] ?? '';
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}
