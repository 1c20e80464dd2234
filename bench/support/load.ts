/**
 * A small closed-loop HTTP load generator: `concurrency` keep-alive connections, each sending
 * the next signed request as soon as the previous one is answered, timing each from the first
 * byte written to the last byte of the answer (for Slack, the ack).
 *
 * The connections are opened first, one untimed request each, and `afterConnect` runs before
 * the timed requests start: a server busy with requests accepts new connections only between
 * loop turns, so without this the last connections of a round would time the accept queue.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { encodeSlackBody, signSlackBody, type SlackBody } from '../../test/support/slack-signing.js';

export interface LoadResult {
  latenciesMs: number[];
  /** Answers other than HTTP 200, and connection errors. */
  failures: number;
  durationMs: number;
}

export interface LoadOptions {
  url: string;
  signingSecret: string;
  concurrency: number;
  requests: number;
  /** The body of request number `n` (0-based); the connecting requests get negative numbers. */
  body: (n: number) => SlackBody;
  /** Runs once every connection is open, before the timed requests (e.g. to let their work finish). */
  afterConnect?: () => Promise<void>;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latenciesMs: number[] = [];
  let failures = 0;
  let next = 0;
  const once = (n: number, retried = false): Promise<void> =>
    new Promise<void>((resolve) => {
      const { rawBody, contentType } = encodeSlackBody(options.body(n));
      const timestamp = Math.floor(Date.now() / 1000);
      const started = performance.now();
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            'Content-Type': contentType,
            'Content-Length': Buffer.byteLength(rawBody),
            'X-Slack-Request-Timestamp': String(timestamp),
            'X-Slack-Signature': signSlackBody(options.signingSecret, rawBody, timestamp),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latenciesMs.push(performance.now() - started);
            else failures += 1;
            resolve();
          });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed while idle (its keep-alive timeout, past a long
        // wait for replies on a loaded machine) fails the next request before the server read it:
        // sent again once, as Node's documentation advises (`reusedSocket`).
        if (!retried && req.reusedSocket && error.code === 'ECONNRESET') {
          void once(n, true).then(resolve);
          return;
        }
        failures += 1;
        resolve();
      });
      req.end(rawBody);
    });
  const worker = async () => {
    while (next < options.requests) {
      const n = next;
      next += 1;
      await once(n);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => once(-1 - index)));
  if (failures > 0) throw new Error(`${failures} of the ${options.concurrency} connecting requests failed`);
  latenciesMs.length = 0;
  await options.afterConnect?.();
  const started = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const durationMs = performance.now() - started;
  agent.destroy();
  return { latenciesMs, failures, durationMs };
}
