import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';

/** An HTTP health endpoint on 127.0.0.1 whose status the test sets; it counts the requests it answered and what they asked for. */
export interface HealthServer {
  readonly url: string;
  status: number;
  readonly requests: string[];
  stop(): Promise<void>;
}

export async function startHealthServer(path = '/api/health'): Promise<HealthServer> {
  const sockets = new Set<Socket>();
  const state = { status: 200, requests: [] as string[] };
  const server: Server = createServer((request, response) => {
    state.requests.push(`${request.method} ${request.url}`);
    response.writeHead(state.status, { 'content-type': 'text/plain' }).end(state.status === 200 ? 'ok' : 'unhealthy');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    requests: state.requests,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
