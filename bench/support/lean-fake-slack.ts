/**
 * A lean stand-in for Slack's Web API and response_url endpoints, for load: it counts instead of
 * recording every body (test/fakes/fake-slack-api.ts keeps them all, which at tens of thousands
 * of requests costs more than the app under test). It can answer every Nth Web API call with
 * 429 and Retry-After, and remembers for each posted reminder key how often it arrived.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LeanFakeOptions {
  /** Every this-many Web API calls (counted over all methods) gets 429; 0 never. */
  rateLimitEvery?: number;
  retryAfterSeconds?: number;
  /** Told of every Web API call as it arrives, with its arguments and the answer (the flows bench times modals and posts by it). */
  observe?: (call: { method: string; args: Record<string, string>; answer: Record<string, unknown> }) => void;
}

export interface FakeCounts {
  /** Posts to response_url endpoints. */
  responses: number;
  /** Web API calls by method, 429s included. */
  calls: Record<string, number>;
  rateLimited: number;
}

/** One Web API call's arrival, for pace checks. */
export interface CallStamp {
  method: string;
  channel: string | undefined;
  atMs: number;
  limited: boolean;
}

export class LeanFakeSlack {
  readonly teamId = 'T0BENCH';
  readonly botUserId = 'U0BENCHBOT';
  readonly counts: FakeCounts = { responses: 0, calls: {}, rateLimited: 0 };
  /** How often each reminder key arrived in a posted message's metadata. */
  readonly deliveredKeys = new Map<string, number>();
  readonly stamps: CallStamp[] = [];
  private readonly server: Server;
  private apiCalls = 0;
  private ts = 0;
  private listeningPort = 0;

  constructor(private readonly options: LeanFakeOptions = {}) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.listeningPort = (this.server.address() as AddressInfo).port;
    return this.listeningPort;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.listeningPort}/api/`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = req.url ?? '/';
    if (url.startsWith('/respond/')) {
      this.counts.responses += 1;
      return send(res, 200, { ok: true });
    }
    const method = url.replace(/^\/api\//, '').split('?')[0] as string;
    this.counts.calls[method] = (this.counts.calls[method] ?? 0) + 1;
    this.apiCalls += 1;
    const every = this.options.rateLimitEvery ?? 0;
    const limited = every > 0 && this.apiCalls % every === 0;
    const args = parseArgs(Buffer.concat(chunks).toString('utf8'), req.headers['content-type']);
    this.stamps.push({ method, channel: args.channel, atMs: performance.now(), limited });
    if (limited) {
      this.counts.rateLimited += 1;
      res.writeHead(429, { 'Retry-After': String(this.options.retryAfterSeconds ?? 1), 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    const answer = this.reply(method, args);
    this.options.observe?.({ method, args, answer });
    send(res, 200, answer);
  }

  private reply(method: string, args: Record<string, string>): Record<string, unknown> {
    const ts = `1700000000.${String(++this.ts).padStart(6, '0')}`;
    switch (method) {
      case 'auth.test':
        return { ok: true, team_id: this.teamId, user_id: this.botUserId, bot_id: 'B0BENCHBOT' };
      case 'users.info':
        return { ok: true, user: { id: args.user, tz: 'UTC', is_bot: false, deleted: false } };
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(args.users ?? 'X').slice(1)}` } };
      case 'conversations.history':
        return { ok: true, has_more: false, messages: [] };
      case 'views.open':
        return { ok: true, view: { id: `V${String(this.ts).padStart(8, '0')}`, hash: ts } };
      case 'views.update':
        return { ok: true, view: { id: args.view_id ?? `V${String(this.ts).padStart(8, '0')}`, hash: ts } };
      case 'chat.postMessage': {
        const keys = metadataKeys(args.metadata);
        for (const key of keys) this.deliveredKeys.set(key, (this.deliveredKeys.get(key) ?? 0) + 1);
        return { ok: true, channel: args.channel, ts };
      }
      default:
        return { ok: true, ts };
    }
  }
}

function metadataKeys(metadata: string | undefined): string[] {
  if (!metadata) return [];
  const keys = (JSON.parse(metadata) as { event_payload?: { keys?: string } }).event_payload?.keys;
  return typeof keys === 'string' ? keys.split(' ') : [];
}

function parseArgs(raw: string, contentType: string | undefined): Record<string, string> {
  if (raw === '') return {};
  if (contentType?.startsWith('application/json')) {
    return Object.fromEntries(
      Object.entries(JSON.parse(raw) as Record<string, unknown>).map(([key, value]) => [
        key,
        typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    );
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
