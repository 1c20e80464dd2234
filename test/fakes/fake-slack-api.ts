import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/** One Web API call as Slack would have received it. */
export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  /** The bearer token the client sent, if any. */
  token: string | undefined;
}

/** One POST to a response_url. */
export interface RecordedResponse {
  id: string;
  body: Record<string, unknown>;
}

/** What the fake answers to one call: a body (HTTP 200), or a 429 with Retry-After. */
export type ScriptedReply =
  | { error: string; extra?: Record<string, unknown> }
  | { rateLimitedForSeconds: number }
  | { body: Record<string, unknown> }
  /** An HTTP error status; with `afterProcessing`, the call takes effect first (a message is posted) as when Slack fails late. */
  | { httpStatus: number; afterProcessing?: boolean }
  /** Answers as Slack normally would; lets a script interleave failures with normal calls. */
  | { normal: true }
  /** Answers normally, but only after `delayMs`: a slow Slack, for in-flight and shutdown tests. */
  | { delayMs: number };

/** What the fake answers to one POST to a response_url: an HTTP error, a 429 with Retry-After, a reset connection, or no answer at all. */
export type ScriptedResponse = { httpStatus: number } | { rateLimitedForSeconds: number } | { reset: true } | { hang: true };

/** A message the fake holds, as conversations.history returns it. */
export interface StoredMessage {
  channel: string;
  ts: string;
  text: unknown;
  /** What the message shows now: as posted, then as the last accepted chat.update left it. */
  blocks?: unknown;
  /** How many accepted chat.update calls edited it. */
  edits: number;
  metadata?: unknown;
  /** A reply in this message's thread; replies are not in conversations.history, as in Slack. */
  threadTs?: string;
}

interface Waiter<T> {
  matches: (item: T) => boolean;
  resolve: (item: T) => void;
}

/**
 * A local stand-in for https://slack.com/api/ and for response_url endpoints. It records every
 * call with its parsed arguments (web-api 8 sends form-encoded bodies with JSON-encoded nested
 * values, or JSON), answers the way Slack does, and lets a test script errors and rate limits.
 */
export class FakeSlackApi {
  readonly calls: RecordedCall[] = [];
  readonly responses: RecordedResponse[] = [];
  readonly teamId = 'T' + randomBytes(4).toString('hex').toUpperCase();
  readonly botUserId = 'UBOT' + randomBytes(3).toString('hex').toUpperCase();
  /** The app the bot belongs to (bots.info); the payload builders' default api_app_id. */
  readonly appId = 'A0ROTOR';
  /** Users users.info knows; any other id answers `user_not_found`, as Slack does. */
  readonly users = new Map<string, { tz: string; is_bot?: boolean; deleted?: boolean; realName?: string }>();
  /** Messages posted with chat.postMessage, by conversation id (a user id posts to that user's DM). */
  readonly messages: StoredMessage[] = [];

  /**
   * Workflow step executions Slack is running, by function_execution_id: functions.completeSuccess
   * and completeError end one once, as Slack does (a second call is refused, an unknown id is not found).
   */
  readonly functionExecutions = new Map<string, 'running' | 'completed' | 'failed'>();

  /** Set for an organisation-level install: auth.test then names the Enterprise Grid organisation. */
  enterpriseId: string | undefined;

  /** Set by a Socket Mode fake: what apps.connections.open answers. */
  socketModeUrl: string | undefined;

  private readonly server: Server;
  private readonly scripts = new Map<string, ScriptedReply[]>();
  private readonly responseScript: ScriptedResponse[] = [];
  /** Every POST to a response_url, answered or not (`responses` holds only those answered 200). */
  responseAttempts = 0;
  private readonly callWaiters: Waiter<RecordedCall>[] = [];
  private readonly responseWaiters: Waiter<RecordedResponse>[] = [];
  private listeningPort = 0;
  private counter = 0;

  constructor() {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.listeningPort = (this.server.address() as AddressInfo).port;
  }

  /** The listening server, for fakes that share its port (Socket Mode upgrades). */
  get httpServer(): Server {
    return this.server;
  }

  get port(): number {
    return this.listeningPort;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The value for WebClient's `slackApiUrl` (and SLACK_API_URL). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.listeningPort}/api/`;
  }

  /** A fresh response_url on this server. */
  newResponseUrl(): string {
    this.counter += 1;
    return `http://127.0.0.1:${this.listeningPort}/respond/${this.counter}`;
  }

  /** A member users.info answers for; with `realName`, it answers it as Slack does (`real_name`, `profile.real_name`). */
  addUser(id: string, tz = 'Europe/London', realName?: string): void {
    this.users.set(id, { tz, ...(realName ? { realName } : {}) });
  }

  /** Slack starts running a step (before sending its function_executed event). */
  startFunctionExecution(executionId: string): void {
    this.functionExecutions.set(executionId, 'running');
  }

  /** The next call(s) to `method` get these replies, in order; later calls get the default again. */
  script(method: string, ...replies: ScriptedReply[]): void {
    this.scripts.set(method, [...(this.scripts.get(method) ?? []), ...replies]);
  }

  /** The next POST(s) to any response_url get these answers, in order; later ones are answered 200 and recorded again. */
  scriptResponses(...replies: ScriptedResponse[]): void {
    this.responseScript.push(...replies);
  }

  /** Drops the replies still scripted for `method`: its next calls get the default answer. */
  clearScript(method: string): void {
    this.scripts.delete(method);
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Resolves with the first call (already recorded or still to come) that matches. */
  waitForCall(method: string, matches: (call: RecordedCall) => boolean = () => true, timeoutMs = 5_000): Promise<RecordedCall> {
    const predicate = (call: RecordedCall) => call.method === method && matches(call);
    return this.waitFor(this.calls, this.callWaiters, predicate, timeoutMs, `a ${method} call`);
  }

  waitForResponse(matches: (response: RecordedResponse) => boolean = () => true, timeoutMs = 5_000): Promise<RecordedResponse> {
    return this.waitFor(this.responses, this.responseWaiters, matches, timeoutMs, 'a post to a response_url');
  }

  private waitFor<T>(seen: T[], waiters: Waiter<T>[], matches: (item: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    const already = seen.find(matches);
    if (already) return Promise.resolve(already);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter: Waiter<T> = {
        matches,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      waiters.push(waiter);
    });
  }

  private notify<T>(item: T, waiters: Waiter<T>[]): void {
    for (const waiter of [...waiters]) {
      if (waiter.matches(item)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(item);
      }
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const args = parseBody(raw, req.headers['content-type']);

    if (url.pathname.startsWith('/respond/')) {
      this.responseAttempts += 1;
      const scripted = this.responseScript.shift();
      // Left unanswered: the sender waits until it gives up, or close() drops the connection.
      if (scripted && 'hang' in scripted) return;
      if (scripted && 'reset' in scripted) return void req.socket.destroy();
      if (scripted && 'rateLimitedForSeconds' in scripted) {
        res.writeHead(429, { 'Retry-After': String(scripted.rateLimitedForSeconds), 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      if (scripted) return sendJson(res, scripted.httpStatus, { ok: false, error: 'fatal_error' });
      const response = { id: url.pathname.slice('/respond/'.length), body: args };
      this.responses.push(response);
      this.notify(response, this.responseWaiters);
      return sendJson(res, 200, { ok: true });
    }

    const method = url.pathname.replace(/^\/api\//, '');
    const authorization = req.headers.authorization;
    const token = authorization?.startsWith('Bearer ')
      ? authorization.slice('Bearer '.length)
      : typeof args.token === 'string'
        ? args.token
        : undefined;
    const call: RecordedCall = { method, args, token };
    this.calls.push(call);
    this.notify(call, this.callWaiters);

    const scripted = this.scripts.get(method)?.shift();
    if (scripted && 'delayMs' in scripted) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
    if (scripted && 'rateLimitedForSeconds' in scripted) {
      res.writeHead(429, { 'Retry-After': String(scripted.rateLimitedForSeconds), 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    if (scripted && 'normal' in scripted)
      return sendJson(res, 200, token ? this.defaultReply(method, args) : { ok: false, error: 'not_authed' });
    if (scripted && 'httpStatus' in scripted) {
      if (scripted.afterProcessing) this.defaultReply(method, args);
      return sendJson(res, scripted.httpStatus, { ok: false, error: 'fatal_error' });
    }
    if (scripted && 'error' in scripted) return sendJson(res, 200, { ok: false, error: scripted.error, ...scripted.extra });
    if (scripted && 'body' in scripted) return sendJson(res, 200, scripted.body);
    if (!token) return sendJson(res, 200, { ok: false, error: 'not_authed' });
    return sendJson(res, 200, this.defaultReply(method, args));
  }

  private defaultReply(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const ts = `${Math.floor(Date.now() / 1000)}.${String(++this.counter).padStart(6, '0')}`;
    switch (method) {
      case 'apps.connections.open':
        return this.socketModeUrl ? { ok: true, url: this.socketModeUrl } : { ok: false, error: 'not_allowed_token_type' };
      case 'auth.test':
        return {
          ok: true,
          url: 'https://rotor-test.slack.com/',
          team: 'Rotor test',
          user: 'rotor',
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: 'B' + this.botUserId.slice(4),
          ...(this.enterpriseId ? { enterprise_id: this.enterpriseId, is_enterprise_install: true } : {}),
        };
      case 'bots.info':
        return args.bot === 'B' + this.botUserId.slice(4)
          ? { ok: true, bot: { id: args.bot, app_id: this.appId, user_id: this.botUserId, name: 'rotor', deleted: false } }
          : { ok: false, error: 'bot_not_found' };
      case 'chat.postMessage':
        this.messages.push({
          channel: dmChannelOf(String(args.channel)),
          ts,
          text: args.text,
          blocks: args.blocks,
          edits: 0,
          metadata: args.metadata,
          ...(args.thread_ts ? { threadTs: String(args.thread_ts) } : {}),
        });
        return { ok: true, channel: args.channel, ts, message: { type: 'message', text: args.text, blocks: args.blocks, ts } };
      case 'conversations.history': {
        const channel = dmChannelOf(String(args.channel));
        const limit = Number(args.limit ?? 100);
        const found = this.messages
          .filter((message) => message.channel === channel && !message.threadTs)
          .reverse()
          .slice(0, limit);
        const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
        return {
          ok: true,
          has_more: false,
          messages: found.map((message) => ({
            type: 'message',
            ts: message.ts,
            text: message.text,
            ...(withMetadata && message.metadata ? { metadata: message.metadata } : {}),
          })),
        };
      }
      case 'conversations.replies': {
        const channel = dmChannelOf(String(args.channel));
        const parent = String(args.ts);
        const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
        const thread = this.messages.filter(
          (message) => message.channel === channel && (message.ts === parent || message.threadTs === parent),
        );
        if (!thread.some((message) => message.ts === parent)) return { ok: false, error: 'thread_not_found' };
        return {
          ok: true,
          has_more: false,
          messages: thread.map((message) => ({
            type: 'message',
            ts: message.ts,
            text: message.text,
            ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
            ...(withMetadata && message.metadata ? { metadata: message.metadata } : {}),
          })),
        };
      }
      case 'chat.getPermalink':
        return {
          ok: true,
          channel: args.channel,
          permalink: `https://rotor-test.slack.com/archives/${String(args.channel)}/p${String(args.message_ts).replace('.', '')}`,
        };
      case 'chat.update': {
        const message = this.messages.find(
          (candidate) => candidate.channel === dmChannelOf(String(args.channel)) && candidate.ts === String(args.ts),
        );
        if (message) Object.assign(message, { text: args.text, blocks: args.blocks, edits: message.edits + 1 });
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: ts };
      case 'conversations.open':
        return { ok: true, channel: { id: 'D' + String(args.users ?? 'X').replace(/^U/, '') } };
      case 'users.info': {
        const user = this.users.get(String(args.user));
        if (!user) return { ok: false, error: 'user_not_found' };
        const named = user.realName ? { real_name: user.realName, profile: { real_name: user.realName, display_name: '' } } : {};
        return {
          ok: true,
          user: {
            id: args.user,
            name: String(args.user).toLowerCase(),
            tz: user.tz,
            is_bot: user.is_bot ?? false,
            deleted: user.deleted ?? false,
            ...named,
          },
        };
      }
      case 'functions.completeSuccess':
      case 'functions.completeError': {
        const id = String(args.function_execution_id ?? '');
        const success = method === 'functions.completeSuccess';
        if (
          id === '' ||
          (success ? typeof args.outputs !== 'object' || args.outputs === null : typeof args.error !== 'string' || args.error === '')
        )
          return { ok: false, error: 'invalid_arguments' };
        const state = this.functionExecutions.get(id);
        if (!state) return { ok: false, error: 'function_execution_not_found' };
        if (state !== 'running') return { ok: false, error: 'execution_not_in_running_state' };
        this.functionExecutions.set(id, success ? 'completed' : 'failed');
        return { ok: true };
      }
      case 'views.open':
      case 'views.publish':
      case 'views.update':
      case 'views.push': {
        const view = (args.view ?? {}) as Record<string, unknown>;
        // An update answers with the view it updated; the others make a new one.
        const id =
          method === 'views.update' && typeof args.view_id === 'string' ? args.view_id : 'V' + String(this.counter).padStart(8, '0');
        return { ok: true, view: { ...view, id, team_id: this.teamId, hash: ts } };
      }
      default:
        return { ok: true };
    }
  }
}

/** Posting to a user id lands in that user's DM, which conversations.open names `D…`. */
function dmChannelOf(channel: string): string {
  return /^[UW]/.test(channel) ? 'D' + channel.replace(/^U/, '') : channel;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** web-api sends objects and arrays as JSON strings inside a form body; decode them back. */
function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType?.startsWith('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = /^[[{]/.test(value) ? tryJson(value) : value;
  }
  return args;
}

function tryJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
