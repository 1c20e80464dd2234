import { BufferedResponse } from './http-fetch.js';
import type { RotorCounters } from '../metrics/metrics.js';

/**
 * The fetch web-api and Bolt's respond() use, wrapped to count Slack API errors: HTTP failures,
 * 429s and `ok:false` answers, labelled by method and error code. A JSON answer is read here
 * once and handed on (as it is when http-fetch read it whole, else as a new Response with the
 * same status and headers), so web-api's own
 * handling (retries after Retry-After, platform errors) is untouched. Reading it, rather than
 * teeing a clone, also frees the connection when nobody else reads the body: respond() never does.
 */
export function createInstrumentedFetch(
  { slackApiErrors }: Pick<RotorCounters, 'slackApiErrors'>,
  inner: typeof fetch = fetch,
): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    const method = methodOf(input);
    if (response.status === 429) {
      slackApiErrors.inc({ method, error: 'ratelimited' });
    } else if (response.status !== 200) {
      slackApiErrors.inc({ method, error: `http_${response.status}` });
    } else if (response.headers.get('content-type')?.includes('json')) {
      const text = await response.text();
      const body = parseJson(text);
      if (body && body.ok === false) slackApiErrors.inc({ method, error: body.error ?? 'unknown' });
      // An answer http-fetch read whole can be read again as it is.
      if (response instanceof BufferedResponse) return response as unknown as Response;
      return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    return response;
  };
}

function parseJson(text: string): { ok?: boolean; error?: string } | null {
  try {
    return JSON.parse(text) as { ok?: boolean; error?: string } | null;
  } catch {
    return null;
  }
}

/** A Web API method name (`chat.postMessage`), never anything else of the URL: a response_url's path carries a token. */
const METHOD_NAME = /^[a-z]+(?:\.[a-zA-Z]+)+$/;

function methodOf(input: Parameters<typeof fetch>[0]): string {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const last = new URL(url).pathname.split('/').pop() ?? '';
  return METHOD_NAME.test(last) ? last : 'other';
}
