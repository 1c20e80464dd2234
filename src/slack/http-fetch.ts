import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Statuses whose response has no body (a Response refuses one). */
const NULL_BODY = new Set([204, 205, 304]);
/** A kept-alive connection left idle this long is closed, as Node's fetch does it. */
const IDLE_MS = 4_000;

/**
 * The fetch web-api and Bolt's respond() are given, over node:http(s) with kept-alive
 * connections. Node's own fetch passes every call through WHATWG streams both ways (the body
 * sent, the answer read), about 0.5 ms of CPU a call more on this machine: a `/rotate` makes two
 * Web API calls, and twenty people opening the modal at once queue on that CPU. A call it cannot
 * make the same way (a body other than text, such as a file upload's form; headers given other
 * than as a plain object; a Request; a redirect to follow) goes to `fallback`, so what a caller
 * gets is what fetch gives: the answer whatever its status, a network failure as fetch's
 * `TypeError('fetch failed')` with the cause, an aborted call rejected with its signal's reason,
 * a redirect refused when `redirect: 'error'`.
 */
export function createHttpFetch(fallback: typeof fetch = fetch): typeof fetch {
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, timeout: IDLE_MS }),
    'https:': new HttpsAgent({ keepAlive: true, timeout: IDLE_MS }),
  };
  return (input, init) => {
    const body = init?.body ?? undefined;
    const headers = init?.headers ?? {};
    const url = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : null;
    const agent = url ? agents[url.protocol as keyof typeof agents] : undefined;
    if (!url || !agent || (body !== undefined && typeof body !== 'string') || !isPlainHeaders(headers)) return fallback(input, init);
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
      const settle = () => signal?.removeEventListener('abort', abort);
      request.once('error', (error) => {
        settle();
        reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
      });
      request.once('response', (answer: IncomingMessage) => {
        const status = answer.statusCode ?? 0;
        if (status >= 300 && status < 400 && answer.headers.location !== undefined) {
          answer.resume();
          settle();
          if (init?.redirect === 'error') return reject(new TypeError('fetch failed', { cause: new Error('unexpected redirect') }));
          return resolve(fallback(input, init));
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.once('end', () => {
          settle();
          try {
            resolve(responseOf(answer, status, Buffer.concat(chunks), url.href));
          } catch (error) {
            reject(new TypeError('fetch failed', { cause: error }));
          }
        });
        // Cut off mid-answer (the connection lost, the call aborted): no 'end', and the call fails as fetch's would.
        answer.once('close', () => {
          if (answer.complete) return;
          settle();
          reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: new Error('the answer was cut off') }));
        });
      });
      request.end(body);
    });
  };
}

function isPlainHeaders(headers: NonNullable<RequestInit['headers']>): headers is Record<string, string> {
  return typeof headers === 'object' && !Array.isArray(headers) && !(headers instanceof Headers);
}

function responseOf(answer: IncomingMessage, status: number, body: Buffer, url: string): Response {
  const headers = new Headers();
  for (let i = 0; i < answer.rawHeaders.length; i += 2) headers.append(answer.rawHeaders[i] as string, answer.rawHeaders[i + 1] as string);
  const response = new Response(NULL_BODY.has(status) || body.length === 0 ? null : body, {
    status,
    statusText: answer.statusMessage ?? '',
    headers,
  });
  // fetch's answer says where it came from (web-api reads it); a constructed one says ''.
  Object.defineProperty(response, 'url', { value: url });
  return response;
}
