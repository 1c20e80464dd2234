import type { CustomRoute } from '@slack/bolt';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Rotor's one HTTP server, in both modes: it serves the health, metrics and calendar routes from
 * the first moment of start-up (before Slack has even been reached), and hands every other
 * request to `otherRequests`: Bolt's receiver in HTTP mode once Slack accepted the token, a
 * "not ready" answer before that. (Bolt's own receivers could carry the routes, but only once
 * the app exists, and Socket Mode's binds every interface with no choice of address.)
 */
export class RouteServer {
  private readonly server: Server;
  private otherRequests: RequestListener = notFound;

  constructor(routes: readonly CustomRoute[]) {
    this.server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const method = (req.method ?? 'GET').toUpperCase();
      const route = routes.find(
        (candidate) =>
          candidate.path === path &&
          [candidate.method]
            .flat()
            .map((m) => m.toUpperCase())
            .includes(method),
      );
      if (!route) return void this.otherRequests(req, res);
      route.handler(Object.assign(req, { params: {} }), res);
    });
  }

  /** Where requests for no route go from now on (404 until told otherwise). */
  handleOthers(listener: RequestListener): void {
    this.otherRequests = listener;
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}

export const notFound: RequestListener = (_req, res) => {
  res.writeHead(404, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ status: 'not_found' }));
};
