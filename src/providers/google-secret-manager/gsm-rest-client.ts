import type { z } from 'zod';
import { callWithRetry, type RetryPolicy } from '../call-with-retry.js';
import type { GoogleAccessTokenSource } from './google-access-token.js';
import { answerMayBeLost, GoogleApiError, isTransientGoogleError } from './gsm-errors.js';
import type { GsmSecretRef } from './gsm-secret-ref.js';

export interface GsmRequest {
  method: 'GET' | 'POST' | 'PATCH';
  /** The resource path after `/v1/`, e.g. `projects/p/secrets/s:addVersion`. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /**
   * A call that adds something each time it is carried out (addVersion): retried only after an
   * answer that says Google did nothing, never after one lost on the way back, which would add twice.
   */
  notIdempotent?: boolean;
}

export interface GsmRestClientOptions {
  tokens: GoogleAccessTokenSource;
  retry: RetryPolicy;
  /** One endpoint for every secret (a test fake, a proxy); otherwise Google's global or regional endpoint. */
  endpoint?: string;
  fetchImpl?: typeof fetch;
}

/**
 * Secret Manager's v1 REST API over fetch. A global secret goes to secretmanager.googleapis.com,
 * a regional one to its regional endpoint (secretmanager.<location>.rep.googleapis.com), which
 * only serves that location. Retries, backoff and per-attempt timeouts come from callWithRetry;
 * a token Google refuses is dropped and fetched again once.
 */
export class GsmRestClient {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: GsmRestClientOptions) {
    this.fetchImpl = options.fetchImpl ?? fetch;
  }

  async call<T extends z.ZodType>(ref: GsmSecretRef | { location: string | null }, request: GsmRequest, schema: T): Promise<z.infer<T>> {
    const isTransient = request.notIdempotent
      ? (error: unknown) => isTransientGoogleError(error) && !answerMayBeLost(error)
      : isTransientGoogleError;
    const attempt = () => callWithRetry((signal) => this.once(ref, request, signal), { policy: this.options.retry, isTransient });
    let body: unknown;
    try {
      body = await attempt();
    } catch (error) {
      if (!(error instanceof GoogleApiError) || error.httpStatus !== 401) throw error;
      this.options.tokens.invalidate();
      body = await attempt();
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      throw new GoogleApiError(502, 'UNKNOWN', `an answer Rotor does not understand for ${request.method} ${request.path}`);
    return parsed.data;
  }

  private async once(ref: { location: string | null }, request: GsmRequest, signal: AbortSignal): Promise<unknown> {
    const base =
      this.options.endpoint ??
      (ref.location ? `https://secretmanager.${ref.location}.rep.googleapis.com` : 'https://secretmanager.googleapis.com');
    const url = new URL(`${base.replace(/\/+$/, '')}/v1/${request.path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    const token = await this.options.tokens.token(signal);
    const response = await this.fetchImpl(url, {
      method: request.method,
      headers: { authorization: `Bearer ${token}`, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal,
    });
    const text = await response.text();
    const json = parseJson(text);
    if (!response.ok) {
      const error = (json as { error?: { status?: unknown; message?: unknown } } | null)?.error;
      throw new GoogleApiError(
        response.status,
        typeof error?.status === 'string' ? error.status : statusNameOf(response.status),
        typeof error?.message === 'string' ? error.message : response.statusText,
      );
    }
    return json ?? {};
  }
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** The canonical status an HTTP status maps to, for answers without Google's error body (a proxy's). */
function statusNameOf(httpStatus: number): string {
  const names: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ABORTED',
    429: 'RESOURCE_EXHAUSTED',
    503: 'UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
  };
  return names[httpStatus] ?? (httpStatus >= 500 ? 'INTERNAL' : 'UNKNOWN');
}
