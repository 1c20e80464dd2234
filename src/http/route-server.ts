import type { CustomRoute } from '@slack/bolt';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Serves the health and metrics routes on their own in Socket Mode, where Bolt has no HTTP
 * server of its own to carry them. (Bolt's Socket Mode receiver could, but binds every
 * interface with no choice of address.)
 */
export class RouteServer {
  private readonly server: Server;

  constructor(routes: readonly CustomRoute[]) {
    this.server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const method = (req.method ?? 'GET').toUpperCase();
      const route = routes.find((candidate) => candidate.path === path && [candidate.method].flat().map((m) => m.toUpperCase()).includes(method));
      if (!route) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ status: 'not_found' }));
        return;
      }
      route.handler(Object.assign(req, { params: {} }), res);
    });
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
