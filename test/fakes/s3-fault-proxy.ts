import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stands in front of moto's S3 to refuse what moto would accept: while `refusePuts` is set, every
 * PutObject (a PUT on a key, not on a bucket) is answered with S3's own 403 AccessDenied XML,
 * as a bucket policy or a missing IAM permission would; everything else is forwarded as it came.
 */
export class S3FaultProxy {
  refusePuts = false;
  /** The PutObject requests refused, by key. */
  readonly refused: string[] = [];
  private server: Server | undefined;
  endpoint = '';

  constructor(private readonly upstream: string) {}

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
    const path = new URL(request.url ?? '/', 'http://proxy').pathname;
    const isObject = path.split('/').filter((part) => part !== '').length > 1;
    if (this.refusePuts && request.method === 'PUT' && isObject) {
      this.refused.push(decodeURIComponent(path));
      response.writeHead(403, { 'Content-Type': 'application/xml' });
      response.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>proxy</RequestId></Error>',
      );
      return;
    }
    const target = new URL(request.url ?? '/', this.upstream);
    const forwarded = httpRequest(target, { method: request.method, headers: { ...request.headers, host: target.host } }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    forwarded.on('error', () => {
      response.writeHead(502);
      response.end();
    });
    forwarded.end(Buffer.concat(chunks));
  }
}
