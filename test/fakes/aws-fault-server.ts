import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stands in front of moto (or alone) to produce what moto cannot: throttling, access denied,
 * an endpoint that accepts connections but never answers, and scripted answers (a secret with
 * a rotation Lambda, which moto cannot run). Errors use the awsJson1_1 shape Secrets Manager
 * sends: HTTP 400 with `__type` and `message`.
 */
export type AwsFault =
  | { kind: 'error'; status: number; type: string; message: string }
  | { kind: 'hang' }
  | { kind: 'answer'; body: Record<string, unknown> }
  /** Forwarded as usual: queued ahead of another fault, it lets the first matching requests through. */
  | { kind: 'pass' }
  /**
   * Forwarded, and moto's whole answer received (the store has changed), then `then` runs and the
   * caller is never answered: the test kills the caller there, between the store's change and
   * the caller's record of it.
   */
  | { kind: 'forward-then-hang'; then: () => void };

export class AwsFaultServer {
  /** Every request seen, by its `X-Amz-Target` operation. */
  readonly operations: string[] = [];
  private readonly faults: { fault: AwsFault; operation: string | undefined }[] = [];
  private server: Server | undefined;
  endpoint = '';

  /** With an upstream, requests without a queued fault are forwarded to it. */
  constructor(private readonly upstream?: string) {}

  /** Queues faults for the next requests (of `operation` only, if given), in order; `times` repeats one. */
  queue(fault: AwsFault, times = 1, operation?: string): void {
    for (let index = 0; index < times; index += 1) this.faults.push({ fault, operation });
  }

  /** Drops the faults still queued, so one test's leftovers never reach the next. */
  clear(): void {
    this.faults.length = 0;
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.split('.').pop() ?? target;
    this.operations.push(operation);
    const queued = this.faults.findIndex((candidate) => candidate.operation === undefined || candidate.operation === operation);
    const fault = queued >= 0 ? this.faults.splice(queued, 1)[0]?.fault : undefined;
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'answer') {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(fault.body));
      return;
    }
    if (fault?.kind === 'error') {
      response
        .writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': fault.type })
        .end(JSON.stringify({ __type: fault.type, message: fault.message }));
      return;
    }
    if (!this.upstream) {
      response.writeHead(500).end();
      return;
    }
    const forwarded = httpRequest(
      `${this.upstream}${request.url ?? '/'}`,
      { method: request.method, headers: request.headers },
      (upstream) => {
        if (fault?.kind === 'forward-then-hang') {
          upstream.resume();
          upstream.on('end', () => fault.then());
          return;
        }
        response.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(response);
      },
    );
    forwarded.on('error', () => response.writeHead(502).end());
    forwarded.end(Buffer.concat(chunks));
  }
}
