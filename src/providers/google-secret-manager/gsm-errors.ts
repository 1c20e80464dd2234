import { fixReferenceStep } from '../../core/next-step.js';
import { RotorError } from '../../core/errors.js';
import { AttemptTimeoutError } from '../call-with-retry.js';
import type { ProviderTarget } from '../secret-provider.js';

/** A Google API's error answer, `{error: {code, message, status}}`, as thrown by the REST client. */
export class GoogleApiError extends Error {
  constructor(
    readonly httpStatus: number,
    /** The canonical code's name: NOT_FOUND, FAILED_PRECONDITION, … */
    readonly status: string,
    message: string,
  ) {
    super(message);
    this.name = 'GoogleApiError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TRANSIENT_STATUSES = new Set(['UNAVAILABLE', 'INTERNAL', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED']);

/** The network error code under fetch's `TypeError: fetch failed`. */
export function networkCodeOf(error: unknown): string | null {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/** Connection failures after the request may have reached Google: it may have done it, and its answer was lost. */
const DROPPED_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET']);

/**
 * Whether a call failed with its answer lost (a timeout, a connection dropped mid-call): Google
 * may have carried it out. Answers with an error status, and connections never made, are not.
 */
export function answerMayBeLost(error: unknown): boolean {
  if (error instanceof AttemptTimeoutError || (error instanceof Error && error.name === 'AbortError')) return true;
  const code = networkCodeOf(error);
  return code !== null && DROPPED_CODES.has(code);
}

/** Quota, 5xx, timeouts and dropped connections are worth another attempt; nothing else is. */
export function isTransientGoogleError(error: unknown): boolean {
  if (error instanceof AttemptTimeoutError) return true;
  if (error instanceof GoogleApiError) return TRANSIENT_STATUSES.has(error.status) || error.httpStatus === 429 || error.httpStatus >= 500;
  return networkCodeOf(error) !== null;
}

/**
 * Translates a Secret Manager failure, by its canonical status, into a message that names the
 * secret and says what to do. The API's own message is kept (it never carries a value).
 */
export function translateGoogleError(error: unknown, target: ProviderTarget, action: string): RotorError {
  if (error instanceof RotorError) return error;
  const failed = `Could not ${action} ${target.secretName} (${target.providerRef}) in Google Secret Manager`;
  if (error instanceof AttemptTimeoutError || (error instanceof Error && error.name === 'AbortError')) {
    return new RotorError(
      'provider_unavailable',
      `${failed}: Google did not answer in time. Nothing was recorded; try again in a few minutes (the step can be resumed).`,
      { cause: error },
    );
  }
  const network = networkCodeOf(error);
  if (network) {
    return new RotorError(
      'provider_unavailable',
      `${failed}: the Secret Manager endpoint cannot be reached (${network}). Nothing was recorded; check network access and try again.`,
      { cause: error },
    );
  }
  if (!(error instanceof GoogleApiError)) {
    return new RotorError(
      'provider',
      `${failed}: ${error instanceof Error ? error.message : String(error)}. Nothing was recorded; try again.`,
      { cause: error },
    );
  }
  const detail = error.message ? ` (${error.message})` : '';
  switch (error.status) {
    case 'NOT_FOUND':
      return new RotorError('not_found', `${failed}: it does not exist${detail}.`, {
        cause: error,
        next: fixReferenceStep(target.secretName, {
          lead: 'check the project, location and name (`gcloud secrets list --project …`), or fix the reference with',
        }),
      });
    case 'UNAUTHENTICATED':
      return new RotorError(
        'config',
        `${failed}: Google refused Rotor's access token${detail}. Set GOOGLE_OAUTH_ACCESS_TOKEN to a fresh token or run Rotor with a service account (metadata server), then try again.`,
        { cause: error },
      );
    case 'PERMISSION_DENIED':
      return new RotorError(
        'forbidden',
        `${failed}: permission denied${detail}. Grant Rotor's service account the Secret Manager roles listed in docs/providers.md on this secret, then try again.`,
        { cause: error },
      );
    case 'FAILED_PRECONDITION':
      return new RotorError(
        'conflict',
        `${failed}: the secret changed meanwhile or the version's state does not allow it${detail}. Run \`rotor sync\` (or reopen the rotation) to pick up the change, then try again.`,
        { cause: error },
      );
    case 'ABORTED':
    case 'ALREADY_EXISTS':
      return new RotorError('conflict', `${failed}: it changed meanwhile${detail}. Try again.`, { cause: error });
    case 'INVALID_ARGUMENT':
    case 'OUT_OF_RANGE':
      return new RotorError('validation', `${failed}: Google refused the request${detail}.`, { cause: error });
    case 'RESOURCE_EXHAUSTED':
      return new RotorError(
        'provider_unavailable',
        `${failed}: a Secret Manager quota was reached${detail}. Nothing was recorded; try again in a few minutes.`,
        { cause: error },
      );
    default:
      break;
  }
  if (isTransientGoogleError(error)) {
    return new RotorError(
      'provider_unavailable',
      `${failed}: Google answered with a server error (${error.status || error.httpStatus})${detail}. Nothing was recorded; try again later.`,
      { cause: error },
    );
  }
  return new RotorError(
    'provider',
    `${failed}: ${error.status || `HTTP ${error.httpStatus}`}${detail}. Nothing was recorded; check the secret in Google Cloud, then try again.`,
    { cause: error },
  );
}
