import type { CustomRoute } from '@slack/bolt';
import type { ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';

export interface HttpRouteDeps {
  /** Throws when the database does not answer. */
  pingDatabase: () => void;
  metrics: Registry;
  logger: Logger;
}

/** GET /healthz and GET /metrics, served beside Slack's endpoint in HTTP and Socket Mode alike. */
export function createHttpRoutes(deps: HttpRouteDeps): CustomRoute[] {
  return [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => {
        try {
          deps.pingDatabase();
          sendJson(res, 200, { status: 'ok', database: 'ok' });
        } catch (error) {
          deps.logger.error({ err: error }, 'health check failed: database unreachable');
          sendJson(res, 503, { status: 'unavailable', database: 'unreachable' });
        }
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (_req, res) => {
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
  ];
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}
