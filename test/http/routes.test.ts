import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { createHttpRoutes } from '../../src/http/routes.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(pingDatabase: () => void): Promise<string> {
  const routes = createHttpRoutes({ pingDatabase, metrics: new Registry(), logger: createLogger('silent') });
  server = createServer((req, res) => {
    const route = routes.find((candidate) => candidate.path === req.url);
    if (!route) return void res.writeHead(404).end();
    route.handler(Object.assign(req, { params: {} }), res);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('GET /healthz', () => {
  it('answers 503 with JSON when the database does not answer', async () => {
    const base = await serve(() => {
      throw new Error('The database connection is not open');
    });
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable', database: 'unreachable' });
  });
});
