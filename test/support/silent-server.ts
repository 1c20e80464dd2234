import { createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP server on 127.0.0.1 that accepts connections and never says a word: a target that
 * hangs. With `acceptRedisLogin`, it answers a Redis client's first message (its AUTH) with +OK
 * and then goes silent: a server that hangs in the middle of a step.
 */
export interface SilentServer {
  readonly port: number;
  stop(): Promise<void>;
}

export async function startSilentServer(options: { acceptRedisLogin?: boolean } = {}): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    if (options.acceptRedisLogin) socket.once('data', () => socket.write('+OK\r\n'));
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
