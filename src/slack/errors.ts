import { ErrorCode as WebApiErrorCode, type WebAPIHTTPError, type WebAPIPlatformError, type WebAPIRateLimitedError, type WebAPIRequestError } from '@slack/web-api';
import type { Logger } from 'pino';
import { AccessDeniedError } from '../access/authorize.js';
import { describeWhoMay } from '../access/permissions.js';
import { isRotorError } from '../core/errors.js';
import { postToResponseUrl } from './outbound/response-url.js';
import { escapeMrkdwn } from './views/mrkdwn.js';
import { INTERNAL_ERROR_MESSAGE, rotorErrorMessage } from './views/rotor-error-message.js';
import { textMessage, type SlackMessage } from './views/slack-message.js';

const TOKEN_REJECTED = 'Slack no longer accepts my token, so I cannot answer. Tell a Rotor admin: Rotor needs a valid `SLACK_BOT_TOKEN` (reinstall the app if it was removed).';

/** What to tell a person when Slack refuses one of Rotor's calls, by Slack's error code. */
const SLACK_ERROR_ADVICE: Record<string, string> = {
  channel_not_found: 'I cannot see this channel. Invite me with `/invite @Rotor`, or run the command in a DM with me.',
  not_in_channel: 'I am not a member of this channel. Invite me with `/invite @Rotor`, or run the command in a DM with me.',
  is_archived: 'This channel is archived, so I cannot post in it. Run the command in another channel or in a DM with me.',
  user_not_found: 'Slack does not know that user. Mention the person with Slack’s @-autocomplete.',
  ratelimited: 'Slack is rate-limiting me right now. Wait a minute and try again.',
  expired_trigger_id: 'That took too long for Slack to open the form. Run the command again.',
  missing_scope: 'I am missing a permission in this workspace. Ask an admin to reinstall Rotor from its manifest.',
  invalid_auth: TOKEN_REJECTED,
  not_authed: TOKEN_REJECTED,
  token_revoked: TOKEN_REJECTED,
  token_expired: TOKEN_REJECTED,
  account_inactive: TOKEN_REJECTED,
};

export function isPlatformError(error: unknown): error is WebAPIPlatformError {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === WebApiErrorCode.PlatformError;
}

/** Slack itself failed (HTTP 5xx, no answer, rate limit past the retries): not Rotor's fault, and nothing to fix but waiting. */
export function isSlackUnavailableError(error: unknown): error is WebAPIHTTPError | WebAPIRequestError | WebAPIRateLimitedError {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === WebApiErrorCode.HTTPError || code === WebApiErrorCode.RequestError || code === WebApiErrorCode.RateLimitedError;
}

/** Any failed Web API call: an error code from Slack, or Slack not answering properly. */
export function isSlackApiError(error: unknown): boolean {
  return isPlatformError(error) || isSlackUnavailableError(error);
}

/** A short code for how Slack failed to answer, for logs and messages. */
export function slackUnavailableCode(error: WebAPIHTTPError | WebAPIRequestError | WebAPIRateLimitedError): string {
  if (error.code === WebApiErrorCode.HTTPError) return `http_${error.statusCode}`;
  if (error.code === WebApiErrorCode.RateLimitedError) return 'ratelimited';
  return 'no_answer';
}

/** Slack's answer to a failed Web API call, as a short code for a log line or a message: `invalid_blocks`, `http_503`, `no_answer`. */
export function slackErrorCode(error: unknown): string {
  if (isPlatformError(error)) return error.data.error;
  if (isSlackUnavailableError(error)) return slackUnavailableCode(error);
  return 'error';
}

/** The message a person sees for an error; never a stack trace, never an internal detail. */
export function userMessageFor(error: unknown): SlackMessage {
  if (error instanceof AccessDeniedError) {
    return textMessage(`:no_entry: ${error.reason} ${describeWhoMay(error.whoMay)}`);
  }
  if (isRotorError(error)) return rotorErrorMessage(error);
  if (isPlatformError(error)) {
    const code = error.data.error;
    return textMessage(`:warning: ${SLACK_ERROR_ADVICE[code] ?? `Slack refused the request (\`${escapeMrkdwn(code)}\`). Try again; if it keeps happening, tell a Rotor admin.`}`);
  }
  if (isSlackUnavailableError(error)) {
    return textMessage(`:warning: Slack did not answer me properly (\`${slackUnavailableCode(error)}\`). If nothing happened, try again in a minute; https://slack-status.com shows whether Slack has trouble.`);
  }
  return INTERNAL_ERROR_MESSAGE;
}

function responseUrlOf(body: unknown): string | undefined {
  const candidate = body as { response_url?: unknown; response_urls?: { response_url?: unknown }[] } | undefined;
  if (typeof candidate?.response_url === 'string') return candidate.response_url;
  const first = candidate?.response_urls?.[0]?.response_url;
  return typeof first === 'string' ? first : undefined;
}

/**
 * The one Slack error handler. Listeners throw; this turns known errors (Rotor's own,
 * refusals, Slack's error codes) into a message the person can act on, and logs everything
 * else with its cause. Known errors are expected outcomes and log at info.
 */
export function createSlackErrorHandler(logger: Logger) {
  return async ({ error, body }: { error: Error; body: unknown }): Promise<void> => {
    const original = (error as { original?: unknown }).original ?? error;
    const known = isRotorError(original) || isPlatformError(original);
    // Known errors are expected outcomes; their messages quote what the person typed, which
    // could be anything (even a pasted value), so only the code is logged.
    if (known) logger.info({ code: isRotorError(original) ? original.code : (original as WebAPIPlatformError).data.error }, 'request refused or failed with a known error');
    else if (isSlackUnavailableError(original)) logger.warn({ code: slackUnavailableCode(original) }, 'a Slack Web API call failed after its retries');
    else logger.error({ err: original }, 'unhandled error in a Slack listener');
    const responseUrl = responseUrlOf(body);
    if (!responseUrl) return;
    try {
      await postToResponseUrl(responseUrl, userMessageFor(original));
    } catch (replyError) {
      logger.error({ err: replyError }, 'could not tell the user about an error');
    }
  };
}
