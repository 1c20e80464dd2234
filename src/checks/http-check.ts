import { performance } from 'node:perf_hooks';

/** What an HTTP check saw: the status it answered, or why no answer came. */
export type HttpAnswer =
  | { kind: 'status'; status: number; latencyMs: number }
  | { kind: 'no_answer'; why: string; latencyMs: number | null };

/**
 * GET `url` once, without following redirects (a redirect is not the status asked for) and without
 * reading the body, bounded by `timeoutSeconds`: a server that accepts and never answers is a
 * clear failure, not a step that hangs.
 */
export async function getStatus(url: string, timeoutSeconds: number): Promise<HttpAnswer> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'GET',
      redirect: 'manual',
      headers: { 'user-agent': 'rotor-check' },
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
    const latencyMs = Math.round(performance.now() - started);
    await response.body?.cancel().catch(() => undefined);
    return { kind: 'status', status: response.status, latencyMs };
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
      return { kind: 'no_answer', why: `no answer within ${timeoutSeconds} s (timed out)`, latencyMs: null };
    return { kind: 'no_answer', why: `could not be reached: ${networkCause(error)}`, latencyMs: null };
  }
}

/** The network cause of a failed fetch (`ECONNREFUSED`, a TLS error), without the URL or anything the server said. */
function networkCause(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message.slice(0, 200);
  return error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
}
