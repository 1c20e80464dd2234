import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFetch, proxiedByEnvironment } from '../../../src/slack/http-fetch.js';

/**
 * The fetch web-api and respond() use (src/slack/http-fetch.ts) answers as Node's fetch does:
 * each case is asked of both, against the same local server, and their answers compared.
 */
describe('the node:http fetch given to web-api', () => {
  let server: Server;
  let base: string;
  const received: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const hanging: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url === '/api/views.update') {
          res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'X-OAuth-Scopes': 'commands, chat:write' });
          res.end(JSON.stringify({ ok: true, view: { id: 'V1', hash: 'h1' } }));
        } else if (req.url === '/unavailable') {
          res.writeHead(503, 'Service Unavailable', { 'Retry-After': '7' });
          res.end('try later');
        } else if (req.url === '/empty') {
          res.writeHead(204);
          res.end();
        } else if (req.url === '/moved') {
          res.writeHead(302, { Location: '/api/views.update' });
          res.end();
        } else if (req.url === '/gzipped') {
          res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Encoding': 'gzip' });
          res.end(gzipSync(JSON.stringify({ ok: true, channel: 'C1' })));
        } else if (req.url === '/badly-gzipped') {
          res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Encoding': 'gzip' });
          res.end('not gzip at all');
        } else if (req.url === '/silent') {
          hanging.push(res);
        } else if (req.url === '/stalled') {
          res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '100' });
          res.write('part of it');
          hanging.push(res);
        } else {
          res.writeHead(404);
          res.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const httpFetch = createHttpFetch();
  // A call that would follow a redirect goes to the fallback, so the cases here that are about
  // this client's own answers say `redirect: 'error'`, as web-api does.
  const both = async <T>(ask: (f: typeof fetch) => Promise<T>): Promise<[T, T]> => [await ask(fetch), await ask(httpFetch)];
  const described = async (response: Response) => ({
    status: response.status,
    statusText: response.statusText,
    ok: response.ok,
    url: response.url,
    contentType: response.headers.get('content-type'),
    scopes: response.headers.get('x-oauth-scopes'),
    retryAfter: response.headers.get('retry-after'),
    // Every header but the date, which may differ by a second between the two calls.
    headers: [...response.headers].filter(([name]) => name !== 'date'),
    contentLength: response.headers.get('Content-Length'),
    text: await response.text(),
  });
  const failure = (call: Promise<unknown>) =>
    call.then(
      () => 'resolved',
      (error: Error & { cause?: { code?: string; message?: string } }) => ({
        name: error.name,
        message: error.message,
        cause: error.cause?.code ?? error.cause?.message,
      }),
    );

  it('posts a form body with its headers, and answers a Web API call with its status, headers and body', async () => {
    const body = `view=${encodeURIComponent(JSON.stringify({ type: 'modal', title: 'é' }))}&view_id=V1`;
    const ask = async (f: typeof fetch) =>
      described(
        await f(`${base}/api/views.update`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Bearer test' },
          body,
          redirect: 'error',
        }),
      );
    const [expected, got] = await both(ask);
    expect(got).toEqual(expected);
    expect(got.text).toBe(JSON.stringify({ ok: true, view: { id: 'V1', hash: 'h1' } }));
    const [viaFetch, viaHttp] = received.slice(-2);
    expect(viaHttp).toMatchObject({ method: 'POST', url: '/api/views.update', body });
    expect(viaHttp?.body).toBe(viaFetch?.body);
    expect(viaHttp?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(viaHttp?.headers.authorization).toBe('Bearer test');
    expect(viaHttp?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    // The other ways web-api and respond() read an answer.
    const again = async (f: typeof fetch) => {
      const response = await f(`${base}/api/views.update`, { method: 'POST', body, redirect: 'error' });
      return {
        json: await response.clone().json(),
        bytes: Buffer.from(await response.arrayBuffer()).toString(),
        entries: [...response.headers.entries()].filter(([name]) => name !== 'date'),
      };
    };
    const [expectedAgain, gotAgain] = await both(again);
    expect(gotAgain).toEqual(expectedAgain);
  });

  it('answers a 5xx and a 204 rather than failing', async () => {
    const [expected, got] = await both(async (f) =>
      described(await f(`${base}/unavailable`, { method: 'POST', body: 'x=1', redirect: 'error' })),
    );
    expect(got).toEqual(expected);
    expect(got).toMatchObject({ status: 503, ok: false, retryAfter: '7', text: 'try later' });
    const [expectedEmpty, empty] = await both(async (f) =>
      described(await f(`${base}/empty`, { method: 'POST', body: 'x=1', redirect: 'error' })),
    );
    expect(empty).toEqual(expectedEmpty);
  });

  it('refuses a redirect when told to, and follows it otherwise', async () => {
    const [expected, got] = await both((f) => failure(f(`${base}/moved`, { method: 'POST', body: 'x=1', redirect: 'error' })));
    expect(got).toEqual(expected);
    expect(got).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    const [followed, gotFollowed] = await both(async (f) => described(await f(`${base}/moved`, { method: 'GET' })));
    expect(gotFollowed).toEqual(followed);
    expect(gotFollowed.status).toBe(200);
  });

  it('sends a POST through a redirecting URL once: given as it is when manual, else followed by the fallback alone', async () => {
    const manual = async (f: typeof fetch) => {
      const response = await f(`${base}/moved`, { method: 'POST', body: 'x=1', redirect: 'manual' });
      return { status: response.status, location: response.headers.get('location') };
    };
    const [expected, got] = await both(manual);
    expect(got).toEqual(expected);
    expect(got).toEqual({ status: 302, location: '/api/views.update' });
    const before = received.length;
    const response = await httpFetch(`${base}/moved`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(200);
    expect(received.slice(before).map(({ method, url }) => `${method} ${url}`)).toEqual(['POST /moved', 'GET /api/views.update']);
  });

  it('fails as fetch fails when nothing listens: TypeError "fetch failed", the refused connection as its cause', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const [expected, got] = await both((f) =>
      failure(f(`http://127.0.0.1:${closedPort}/api/auth.test`, { method: 'POST', body: '', redirect: 'error' })),
    );
    expect(got).toEqual(expected);
    expect(got).toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: 'ECONNREFUSED' });
  });

  it("rejects with the signal's reason when the call is aborted, before or while it waits for an answer", async () => {
    const reason = new Error('gave up waiting');
    const already = AbortSignal.abort(reason);
    await expect(httpFetch(`${base}/silent`, { method: 'POST', body: 'x=1', redirect: 'error', signal: already })).rejects.toBe(reason);
    const waiting = new AbortController();
    const call = httpFetch(`${base}/silent`, { method: 'POST', body: 'x=1', redirect: 'error', signal: waiting.signal });
    await expect.poll(() => hanging.length).toBeGreaterThan(0);
    waiting.abort(reason);
    await expect(call).rejects.toBe(reason);
  });

  it('fails as fetch fails when the server sends no answer, or stops mid-body, within the limit', async () => {
    const limited = createHttpFetch(fetch, { limitMs: 200 });
    const silent = await failure(limited(`${base}/silent`, { method: 'POST', body: 'x=1', redirect: 'error' }));
    expect(silent).toEqual({ name: 'TypeError', message: 'fetch failed', cause: 'no complete answer within 200 ms' });
    const stalled = await failure(limited(`${base}/stalled`, { method: 'GET', redirect: 'error' }));
    expect(stalled).toEqual({ name: 'TypeError', message: 'fetch failed', cause: 'no complete answer within 200 ms' });
  });

  it('decodes a gzipped answer as fetch does, and fails as fetch fails on one that does not decode', async () => {
    const [expected, got] = await both(async (f) =>
      described(await f(`${base}/gzipped`, { method: 'POST', body: 'x=1', redirect: 'error' })),
    );
    expect(got).toEqual(expected);
    expect(JSON.parse(got.text)).toEqual({ ok: true, channel: 'C1' });
    const broken = await failure(httpFetch(`${base}/badly-gzipped`, { method: 'POST', body: 'x=1', redirect: 'error' }));
    expect(broken).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });

  it('leaves every call to the fallback when the environment names a proxy', () => {
    const proxy = `http://127.0.0.1:${1024 + Math.floor(Math.random() * 1000)}`;
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'])
      expect(proxiedByEnvironment({ [name]: proxy })).toBe(true);
    expect(proxiedByEnvironment({ NODE_USE_ENV_PROXY: '1' })).toBe(true);
    expect(proxiedByEnvironment({ HTTPS_PROXY: '' })).toBe(false);
    expect(proxiedByEnvironment({})).toBe(false);
    const fallback = (async () => new Response('from the fallback')) as typeof fetch;
    expect(createHttpFetch(fallback, { env: { HTTPS_PROXY: proxy } })).toBe(fallback);
    expect(createHttpFetch(fallback, { env: {} })).not.toBe(fallback);
  });

  it("hands a body other than text (a file upload's form) to the fallback", async () => {
    const asked: unknown[] = [];
    const fallback = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      asked.push(init?.body);
      return fetch(input, init);
    }) as typeof fetch;
    const form = new FormData();
    form.append('file', new Blob(['contents']), 'notes.txt');
    const response = await createHttpFetch(fallback)(`${base}/api/views.update`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    expect(asked).toEqual([form]);
  });
});
