import { z } from 'zod';
import { TLS_MODES, type TlsMode } from '../targets/target-description.js';

/**
 * An automated check the policy names for a secret (or its type): an HTTP endpoint of a consumer
 * that must answer a status, or a fresh login with the new credential at a PostgreSQL database or
 * a Redis server. A check names places only; a URL carries no credential (no `user:password@`,
 * no query string, no fragment), so whatever Rotor echoes of it gives nothing away.
 */
export type CheckSpec =
  | { kind: 'http'; name: string | null; consumer: string | null; url: string; expectStatus: number; timeoutSeconds: number }
  | {
      kind: 'postgres';
      name: string | null;
      consumer: string | null;
      host: string;
      port: number;
      database: string;
      tls: TlsMode;
      timeoutSeconds: number;
    }
  | {
      kind: 'redis';
      name: string | null;
      consumer: string | null;
      host: string;
      port: number;
      tls: TlsMode;
      timeoutSeconds: number;
    };

export const DEFAULT_CHECK_TIMEOUT_SECONDS = 10;

/** Why a URL may not be a check's: null when it may. */
export function checkUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute http:// or https:// URL such as https://app.internal/api/health';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username || url.password)
    return 'must not carry a user or password (user:password@): a check URL is printed in the evidence; use an unauthenticated health endpoint';
  if (url.search || text.includes('?'))
    return 'must not carry a query string: tokens in URLs end up in the evidence and in logs; use an unauthenticated health endpoint';
  if (url.hash || text.includes('#')) return 'must not carry a fragment';
  return null;
}

const label = z.string().min(1).max(80);
const timeout = z.number().int().min(1).max(120).default(DEFAULT_CHECK_TIMEOUT_SECONDS);
const host = z.string().regex(/^[A-Za-z0-9.:_-]{1,253}$/, 'must be a host name or an IP address');
const port = z.number().int().min(1).max(65_535);
const tls = z.enum(TLS_MODES as [TlsMode, ...TlsMode[]], { message: `must be one of ${TLS_MODES.join(', ')}` }).default('require');

const checkUrl = z.string().superRefine((text, ctx) => {
  const problem = checkUrlProblem(text);
  // The URL is not repeated in the message: were it to carry a token, the error would print it.
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** One entry of the policy's `checks` lists: exactly one of `http`, `postgres`, `redis`. */
export const checkEntrySchema = z
  .object({
    name: label.optional(),
    consumer: label.optional(),
    http: checkUrl.optional(),
    expect_status: z.number().int().min(100).max(599).optional(),
    postgres: z
      .object({ host, port: port.default(5432), dbname: z.string().min(1).max(63), tls })
      .strict()
      .optional(),
    redis: z
      .object({ host, port: port.default(6379), tls })
      .strict()
      .optional(),
    timeout_seconds: timeout,
  })
  .strict()
  .superRefine((entry, ctx) => {
    const kinds = (['http', 'postgres', 'redis'] as const).filter((kind) => entry[kind] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of http (a URL), postgres or redis in each check' });
    if (entry.expect_status !== undefined && entry.http === undefined)
      ctx.addIssue({ code: 'custom', path: ['expect_status'], message: 'only an http check expects a status' });
  })
  .transform((entry): CheckSpec => {
    const common = { name: entry.name ?? null, consumer: entry.consumer ?? null, timeoutSeconds: entry.timeout_seconds };
    if (entry.postgres)
      return {
        kind: 'postgres',
        ...common,
        host: entry.postgres.host,
        port: entry.postgres.port,
        database: entry.postgres.dbname,
        tls: entry.postgres.tls,
      };
    if (entry.redis) return { kind: 'redis', ...common, host: entry.redis.host, port: entry.redis.port, tls: entry.redis.tls };
    return { kind: 'http', ...common, url: entry.http as string, expectStatus: entry.expect_status ?? 200 };
  });

/** What a check does and where, in words for the modal and the evidence (never a value). */
export function describeCheck(spec: CheckSpec): { what: string; where: string } {
  const who = spec.consumer ? ` (${spec.consumer})` : '';
  switch (spec.kind) {
    case 'http':
      return { what: `${spec.name ?? `HTTP GET expects ${spec.expectStatus}`}${who}`, where: spec.url };
    case 'postgres':
      return {
        what: `${spec.name ?? 'PostgreSQL login and SELECT 1'}${who}`,
        where: `PostgreSQL ${spec.host}:${spec.port}/${spec.database}`,
      };
    case 'redis':
      return { what: `${spec.name ?? 'Redis AUTH and PING'}${who}`, where: `Redis ${spec.host}:${spec.port}` };
  }
}
