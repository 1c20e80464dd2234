import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/** Statuses whose response has no body (a Response refuses one). */
const NULL_BODY = new Set([204, 205, 304]);
/** A kept-alive connection left idle this long is closed, as Node's fetch does it. */
const IDLE_MS = 4_000;
/**
 * How long a call may wait for its whole answer before it fails. Node's fetch gives up on a silent
 * server (undici's headers and body timeouts); node:http has no such limit (the Agent's `timeout`
 * only closes idle pooled sockets), so without one a server that never answers holds the call, and
 * the reply or modal waiting on it, forever. Slack answers in well under a second.
 */
export const CALL_LIMIT_MS = 30_000;
/** A body read as text, as fetch reads it: UTF-8, a byte-order mark dropped. */
const UTF8 = new TextDecoder();

/**
 * The fetch web-api and Bolt's respond() are given, over node:http(s) with kept-alive
 * connections. Node's own fetch passes every call through WHATWG streams both ways (the body
 * sent, the answer read), about 0.5 ms of CPU a call more on this machine: a `/rotate` makes two
 * Web API calls, and twenty people opening the modal at once queue on that CPU. The answer is
 * read whole (Slack's are small) and given as a BufferedResponse, which a caller may read twice.
 * A call it cannot make the same way (a body other than text, such as a file upload's form; headers given other
 * than as a plain object; a Request; a call that would follow a redirect, that is any whose
 * `redirect` is not 'error' or 'manual') goes to `fallback` before anything is sent, so a POST is
 * never sent twice, and what a caller gets is what fetch gives: the answer whatever its status, a
 * network failure as fetch's `TypeError('fetch failed')` with the cause, an aborted call rejected
 * with its signal's reason, a redirect refused when `redirect: 'error'` and given as it is when
 * `redirect: 'manual'`, a call whose answer is not complete within
 * `limitMs` failed as fetch fails. Where the environment names a proxy every call is fetch's.
 */
export function createHttpFetch(fallback: typeof fetch = fetch, options: { limitMs?: number; env?: NodeJS.ProcessEnv } = {}): typeof fetch {
  if (proxiedByEnvironment(options.env ?? process.env)) return fallback;
  const limitMs = options.limitMs ?? CALL_LIMIT_MS;
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, timeout: IDLE_MS }),
    'https:': new HttpsAgent({ keepAlive: true, timeout: IDLE_MS }),
  };
  return (input, init) => {
    const body = init?.body ?? undefined;
    const headers = init?.headers ?? {};
    const url = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : null;
    const agent = url ? agents[url.protocol as keyof typeof agents] : undefined;
    const followsRedirects = init?.redirect !== 'error' && init?.redirect !== 'manual';
    if (!url || !agent || followsRedirects || (body !== undefined && typeof body !== 'string') || !isPlainHeaders(headers)) {
      return fallback(input, init);
    }
    const signal = init?.signal ?? null;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Response>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request: ClientRequest = send(url, {
        method: init?.method ?? 'GET',
        agent,
        headers: body === undefined ? headers : { ...headers, 'Content-Length': Buffer.byteLength(body) },
      });
      const abort = () => request.destroy(signal?.reason);
      signal?.addEventListener('abort', abort, { once: true });
      let overdue: Error | undefined;
      // Covers both a server that never sends headers and one that stalls in the body.
      const limit = setTimeout(() => {
        overdue = new Error(`no complete answer within ${limitMs} ms`);
        request.destroy(overdue);
      }, limitMs);
      const settle = () => {
        clearTimeout(limit);
        signal?.removeEventListener('abort', abort);
      };
      request.once('error', (error) => {
        settle();
        reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: overdue ?? error }));
      });
      request.once('response', (answer: IncomingMessage) => {
        const status = answer.statusCode ?? 0;
        if (init?.redirect === 'error' && status >= 300 && status < 400 && answer.headers.location !== undefined) {
          answer.resume();
          settle();
          return reject(new TypeError('fetch failed', { cause: new Error('unexpected redirect') }));
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.once('end', () => {
          settle();
          try {
            resolve(new BufferedResponse(answer, status, decoded(answer, Buffer.concat(chunks)), url.href) as unknown as Response);
          } catch (error) {
            reject(new TypeError('fetch failed', { cause: error }));
          }
        });
        // Cut off mid-answer (the connection lost, the call aborted): no 'end', and the call fails as fetch's would.
        answer.once('close', () => {
          if (answer.complete) return;
          settle();
          reject(
            signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: overdue ?? new Error('the answer was cut off') }),
          );
        });
      });
      request.end(body);
    });
  };
}

/** Variables that send a process's outgoing calls through a proxy, in any case Node or undici reads them. */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NODE_USE_ENV_PROXY'];

/**
 * Whether the environment sends calls through a proxy: then Slack's calls go through Node's fetch,
 * where every other call of the process goes (through the proxy it, or a global dispatcher set for
 * it, honours), rather than straight out over node:http.
 */
export function proxiedByEnvironment(env: NodeJS.ProcessEnv): boolean {
  return PROXY_VARIABLES.some((name) => (env[name] ?? '') !== '');
}

const DECODERS: Record<string, (bytes: Buffer) => Buffer> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

/**
 * The body as fetch gives it: undone of each content-encoding it names, last applied first; an
 * encoding fetch does not know (identity among them) left as it is. A body that does not decode
 * throws, and the call fails as 'fetch failed'.
 */
function decoded(answer: IncomingMessage, bytes: Buffer): Buffer {
  const codings = (answer.headers['content-encoding'] ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '');
  if (bytes.length === 0 || NULL_BODY.has(answer.statusCode ?? 0)) return bytes;
  return codings.reduceRight((body, coding) => DECODERS[coding]?.(body) ?? body, bytes);
}

function isPlainHeaders(headers: NonNullable<RequestInit['headers']>): headers is Record<string, string> {
  return typeof headers === 'object' && !Array.isArray(headers) && !(headers instanceof Headers);
}

/**
 * What fetch's Response gives of an answer read whole, without its streams: what web-api, Bolt's
 * respond() and the metrics read of it (the status, the headers, the body as text, JSON or
 * bytes), and the rest (`body`, `blob()`, `formData()`) from a real Response made when asked.
 * The body can be read more than once.
 */
export class BufferedResponse {
  readonly ok: boolean;
  readonly statusText: string;
  readonly redirected = false;
  readonly type = 'basic';
  readonly bodyUsed = false;
  readonly headers: AnswerHeaders;

  constructor(
    answer: IncomingMessage,
    readonly status: number,
    private readonly bytes: Buffer,
    readonly url: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.statusText = answer.statusMessage ?? '';
    this.headers = new AnswerHeaders(answer);
  }

  text(): Promise<string> {
    return Promise.resolve(UTF8.decode(this.bytes));
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(this.bytes.buffer.slice(this.bytes.byteOffset, this.bytes.byteOffset + this.bytes.length) as ArrayBuffer);
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.real().body;
  }

  blob(): Promise<Blob> {
    return this.real().blob();
  }

  formData(): Promise<FormData> {
    return this.real().formData();
  }

  clone(): this {
    return this;
  }

  private real(): Response {
    return new Response(NULL_BODY.has(this.status) || this.bytes.length === 0 ? null : this.bytes, {
      status: this.status,
      statusText: this.statusText,
      headers: [...this.headers],
    });
  }
}

/**
 * An answer's headers as fetch's Headers read them: names in any case, a repeated header's values
 * joined with ', '. `get` and `has` read what Node parsed already; the rest (iterating them sorted,
 * Set-Cookie apart) a real Headers made when asked.
 */
class AnswerHeaders implements Iterable<[string, string]> {
  private made: Headers | null = null;

  constructor(private readonly answer: IncomingMessage) {}

  get(name: string): string | null {
    return this.answer.headersDistinct[name.toLowerCase()]?.join(', ') ?? null;
  }

  has(name: string): boolean {
    return this.answer.headersDistinct[name.toLowerCase()] !== undefined;
  }

  getSetCookie(): string[] {
    return this.real().getSetCookie();
  }

  entries(): IterableIterator<[string, string]> {
    return this.real().entries();
  }

  keys(): IterableIterator<string> {
    return this.real().keys();
  }

  values(): IterableIterator<string> {
    return this.real().values();
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void): void {
    this.real().forEach(callback);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.real().entries();
  }

  private real(): Headers {
    if (this.made) return this.made;
    const made = new Headers();
    const raw = this.answer.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) made.append(raw[i] as string, raw[i + 1] as string);
    this.made = made;
    return made;
  }
}
