import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { RotorError } from '../../core/errors.js';

/**
 * Where Rotor's OAuth access token for Google APIs comes from. Either a token given in
 * `GOOGLE_OAUTH_ACCESS_TOKEN` (e.g. `gcloud auth print-access-token`; it expires after about
 * an hour, so for a short job or a test), or the metadata server of the Google Cloud runtime
 * Rotor runs on (Cloud Run, GKE with Workload Identity, Compute Engine), which hands out the
 * attached service account's tokens; `GCE_METADATA_HOST` points at another metadata host, as
 * Google's own libraries allow. Key files and user ADC are not read: no long-lived key on disk.
 */
export interface GoogleAccessTokenSource {
  token(signal?: AbortSignal): Promise<string>;
  /** Forgets a cached token Google refused, so the next call fetches a new one. */
  invalidate(): void;
  /** Where tokens come from, for messages. */
  readonly origin: string;
}

export interface GoogleTokenEnv {
  GOOGLE_OAUTH_ACCESS_TOKEN?: string | undefined;
  GCE_METADATA_HOST?: string | undefined;
}

const metadataToken = z.object({ access_token: z.string().min(1), expires_in: z.number().positive(), token_type: z.string().optional() });
/** A cached token is renewed this long before Google says it expires. */
const RENEW_BEFORE_SECONDS = 60;

export function googleAccessTokenSourceFromEnv(
  env: GoogleTokenEnv,
  clock: Clock,
  fetchImpl: typeof fetch = fetch,
): GoogleAccessTokenSource {
  const given = env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim();
  if (given) return { token: async () => given, invalidate: () => undefined, origin: 'GOOGLE_OAUTH_ACCESS_TOKEN' };
  return metadataServerTokenSource(env.GCE_METADATA_HOST?.trim() || 'metadata.google.internal', clock, fetchImpl);
}

export function metadataServerTokenSource(host: string, clock: Clock, fetchImpl: typeof fetch = fetch): GoogleAccessTokenSource {
  const url = `http://${host}/computeMetadata/v1/instance/service-accounts/default/token`;
  let cached: { token: string; renewAt: number } | null = null;
  return {
    origin: `the metadata server at ${host}`,
    invalidate: () => {
      cached = null;
    },
    async token(signal) {
      const now = clock.now().toMillis();
      if (cached && now < cached.renewAt) return cached.token;
      let body: unknown;
      try {
        const response = await fetchImpl(url, { headers: { 'Metadata-Flavor': 'Google' }, ...(signal ? { signal } : {}) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        body = await response.json();
      } catch (error) {
        throw new RotorError(
          'config',
          `No Google access token: the metadata server at ${host} did not give one (${error instanceof Error ? error.message : String(error)}). Run Rotor on Google Cloud with a service account, or set GOOGLE_OAUTH_ACCESS_TOKEN.`,
          { cause: error },
        );
      }
      const parsed = metadataToken.safeParse(body);
      if (!parsed.success)
        throw new RotorError(
          'config',
          `No Google access token: the metadata server at ${host} answered without one. Set GOOGLE_OAUTH_ACCESS_TOKEN instead.`,
        );
      cached = { token: parsed.data.access_token, renewAt: now + (parsed.data.expires_in - RENEW_BEFORE_SECONDS) * 1000 };
      return cached.token;
    },
  };
}
