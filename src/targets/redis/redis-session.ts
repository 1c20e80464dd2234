import { isIP } from 'node:net';
import type { LoginCredential } from '../credential-target.js';
import type { RedisAclUserTarget } from '../target-description.js';
import type { TargetTimeouts } from '../target-timeouts.js';
import { RedisCallTimeout, translateRedisError, type RedisCall } from './redis-errors.js';

/** Runs one command in the session, bounded by the statement timeout. */
export type RedisCommand = (args: readonly string[]) => Promise<unknown>;

/**
 * One fresh connection as `login`, for one call: connect and AUTH (TLS as the target says,
 * bounded by connectMs), run `work` with commands each bounded by statementMs, close. No
 * reconnecting and no offline queue: a dropped or silent target is one clear error. Every
 * failure comes out as a TargetError.
 */
export async function withRedisSession<T>(
  target: RedisAclUserTarget,
  login: LoginCredential,
  timeouts: TargetTimeouts,
  call: Omit<RedisCall, 'target' | 'login' | 'timeouts' | 'stage'>,
  work: (command: RedisCommand) => Promise<T>,
): Promise<T> {
  const context: RedisCall = { ...call, target, login: login.username, timeouts, stage: 'login', values: [login.password, ...call.values] };
  const tls =
    target.tls === 'disable'
      ? {}
      : {
          tls: true as const,
          rejectUnauthorized: target.tls === 'verify-full',
          ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
        };
  // The Redis client is loaded by the first session, not with Rotor: a bot without a Redis target never pays for it.
  const { createClient } = await import('@redis/client');
  const client = createClient({
    socket: { host: target.host, port: target.port, connectTimeout: timeouts.connectMs, reconnectStrategy: false, ...tls },
    username: login.username,
    password: login.password,
    disableOfflineQueue: true,
    disableClientInfo: true,
    // Only HELLO (with AUTH) at connect: no maintenance-notification handshake the target may not know.
    maintNotifications: 'disabled',
  });
  // Failures reach the caller through the call's promise; the event only keeps Node from throwing.
  client.on('error', () => undefined);
  const close = () => {
    if (client.isOpen) client.destroy();
  };
  try {
    await bounded(client.connect(), timeouts.connectMs, () => new RedisCallTimeout('login'), close);
  } catch (error) {
    close();
    throw translateRedisError(error, context);
  }
  const command: RedisCommand = (args) =>
    bounded(client.sendCommand([...args]), timeouts.statementMs, () => new RedisCallTimeout('command'), close);
  try {
    return await work(command);
  } catch (error) {
    throw translateRedisError(error, { ...context, stage: 'command' });
  } finally {
    close();
  }
}

/**
 * `work`, or `timeout()` after `ms`, when `abandon` (closing the connection) is run: node-redis's
 * own command timeout does not cover a reply that never comes.
 */
async function bounded<T>(work: Promise<T>, ms: number, timeout: () => Error, abandon: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Settled before abandoning: closing the connection rejects `work` too, with a vaguer error.
      reject(timeout());
      abandon();
    }, ms);
  });
  // The losing promise must not surface as an unhandled rejection.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
