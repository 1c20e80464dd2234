import { ErrorCode, type WebAPIHTTPError, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { DeliveryError } from '../../core/delivery.js';

const DM_CLOSED = new Set(['cannot_dm_bot', 'messages_tab_disabled']);
export const USER_GONE = new Set(['user_not_found', 'user_disabled', 'account_inactive', 'user_not_visible']);

export function platformErrorCode(error: unknown): string | null {
  const coded = error as { code?: string };
  return coded.code === ErrorCode.PlatformError ? (error as WebAPIPlatformError).data.error : null;
}

/** Slack's errors, translated by name into what a sender must do about them. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const code = (error as { code?: string }).code;
  if (code === ErrorCode.RateLimitedError) {
    return new DeliveryError('rate_limited', 'Slack rate limited the call', (error as WebAPIRateLimitedError).retryAfter, { cause: error });
  }
  if (code === ErrorCode.HTTPError) {
    const status = (error as WebAPIHTTPError).statusCode;
    return new DeliveryError(status >= 500 ? 'ambiguous' : 'rejected', `Slack answered HTTP ${status}`, null, { cause: error });
  }
  if (code === ErrorCode.RequestError) return new DeliveryError('ambiguous', 'Slack could not be reached', null, { cause: error });
  const platform = platformErrorCode(error);
  if (platform === 'ratelimited') return new DeliveryError('rate_limited', 'Slack rate limited the call', 1, { cause: error });
  if (platform && DM_CLOSED.has(platform))
    return new DeliveryError('dm_closed', `the person's DMs with Rotor are closed (${platform})`, null, { cause: error });
  if (platform && USER_GONE.has(platform))
    return new DeliveryError('user_gone', `the person is no longer in Slack (${platform})`, null, { cause: error });
  if (platform) return new DeliveryError('rejected', `Slack refused the message (${platform})`, null, { cause: error });
  return new DeliveryError('ambiguous', error instanceof Error ? error.message : String(error), null, { cause: error });
}
