/**
 * A small closed-loop HTTP load generator: `concurrency` keep-alive connections, each sending
 * the next signed request as soon as the previous one is answered, timing each from the first
 * byte written to the last byte of the answer (for Slack, the ack).
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
  /** The body of request number `n` (0-based). */
  body: (n: number) => SlackBody;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latenciesMs: number[] = [];
  let failures = 0;
  let next = 0;
  const once = (n: number) =>
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
      req.on('error', () => {
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
  const started = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const durationMs = performance.now() - started;
  agent.destroy();
  return { latenciesMs, failures, durationMs };
}
