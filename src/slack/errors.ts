import {
  ErrorCode as WebApiErrorCode,
  type WebAPIHTTPError,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
  type WebAPIRequestError,
} from '@slack/web-api';
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { PlainTextElement } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { isRotorError } from '../core/errors.js';
import { postToResponseUrl } from './outbound/response-url.js';
import { escapeMrkdwn } from './views/mrkdwn.js';
import { refusalModal } from './views/refusal-modal.js';
import { INTERNAL_ERROR_MESSAGE, rotorErrorMessage } from './views/rotor-error-message.js';
import { textMessage, type SlackMessage } from './views/slack-message.js';

const TOKEN_REJECTED =
  'Slack no longer accepts my token, so I cannot answer. Tell a Rotor admin: Rotor needs a valid `SLACK_BOT_TOKEN` (reinstall the app if it was removed).';

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
  if (isRotorError(error)) return rotorErrorMessage(error);
  if (isPlatformError(error)) {
    const code = error.data.error;
    return textMessage(
      `:warning: ${SLACK_ERROR_ADVICE[code] ?? `Slack refused the request (\`${escapeMrkdwn(code)}\`). Try again; if it keeps happening, tell a Rotor admin.`}`,
    );
  }
  if (isSlackUnavailableError(error)) {
    return textMessage(
      `:warning: Slack did not answer me properly (\`${slackUnavailableCode(error)}\`). If nothing happened, try again in a minute; https://slack-status.com shows whether Slack has trouble.`,
    );
  }
  return INTERNAL_ERROR_MESSAGE;
}

/** The modal a click came from, as a refusal renderer needs it. */
export interface ModalRefusalTarget {
  viewId: string;
  hash: string;
  callbackId: string;
  privateMetadata: string;
  title: PlainTextElement | null;
  userId: string;
}

/** Shows an error in the modal where the click was made; the listeners that own a modal draw it their way. */
export type ModalRefusalRenderer = (error: unknown, target: ModalRefusalTarget, client: WebClient) => Promise<void>;

/** Where a request came from, which decides where its refusal is said. */
type Origin =
  | { kind: 'modal'; target: ModalRefusalTarget }
  | { kind: 'home'; userId: string }
  | { kind: 'response_url'; url: string }
  | { kind: 'nowhere' };

interface RequestBody {
  type?: unknown;
  user?: { id?: unknown };
  view?: { id?: unknown; hash?: unknown; type?: unknown; callback_id?: unknown; private_metadata?: unknown; title?: PlainTextElement };
}

function originOf(body: unknown): Origin {
  const request = (typeof body === 'object' && body !== null ? body : {}) as RequestBody;
  const view = request.view;
  const userId = typeof request.user?.id === 'string' ? request.user.id : null;
  // A click inside a modal has no response_url; the modal itself is where the person looks.
  if (request.type === 'block_actions' && view?.type === 'modal' && typeof view.id === 'string' && userId) {
    return {
      kind: 'modal',
      target: {
        viewId: view.id,
        hash: typeof view.hash === 'string' ? view.hash : '',
        callbackId: typeof view.callback_id === 'string' ? view.callback_id : '',
        privateMetadata: typeof view.private_metadata === 'string' ? view.private_metadata : '',
        title: view.title ?? null,
        userId,
      },
    };
  }
  // Nor has a click in the App Home: the person is told by DM.
  if (request.type === 'block_actions' && view?.type === 'home' && userId) return { kind: 'home', userId };
  const url = responseUrlOf(body);
  return url ? { kind: 'response_url', url } : { kind: 'nowhere' };
}

/** A modal no listener draws refusals for: the message replaces its content. */
const showRefusalModal: ModalRefusalRenderer = async (error, target, client) => {
  await client.views.update({ view_id: target.viewId, view: refusalModal(target, userMessageFor(error).text) });
};

export interface SlackErrorHandlerOptions {
  /** The renderer for refusals in modals of a callback id, when one is registered. */
  modalRenderer?: (callbackId: string) => ModalRefusalRenderer | undefined;
}

function responseUrlOf(body: unknown): string | undefined {
  const candidate = body as { response_url?: unknown; response_urls?: { response_url?: unknown }[] } | undefined;
  if (typeof candidate?.response_url === 'string') return candidate.response_url;
  const first = candidate?.response_urls?.[0]?.response_url;
  return typeof first === 'string' ? first : undefined;
}

/** Errors already said to the person by answerErrorsWhereAsked; the error handler then only logs them. */
const told = new WeakSet<object>();

/**
 * Says an error to the person, once, where the request came from: in the modal of a click inside
 * one, by DM for a click in the App Home, ephemerally through the response_url of a message or a
 * slash command. Without a client (the error handler has none) only the response_url is used.
 */
async function tellWhereAsked(error: unknown, body: unknown, client: WebClient | null, options: SlackErrorHandlerOptions): Promise<void> {
  const origin = originOf(body);
  if (origin.kind === 'modal' && client) {
    const render = options.modalRenderer?.(origin.target.callbackId) ?? showRefusalModal;
    await render(error, origin.target, client);
  } else if (origin.kind === 'home' && client) {
    await client.chat.postMessage({ channel: origin.userId, ...userMessageFor(error) });
  } else if (origin.kind === 'response_url') {
    await postToResponseUrl(origin.url, userMessageFor(error));
  }
}

/**
 * Global middleware, last in the chain: an error a listener throws is said to the person here,
 * with the client Bolt gave the listener (same token, views sealed), before the request counts
 * as handled; then it goes on to the error handler, which logs it.
 */
export function answerErrorsWhereAsked(logger: Logger, options: SlackErrorHandlerOptions = {}): Middleware<AnyMiddlewareArgs> {
  return async ({ body, client, next }) => {
    try {
      await next();
    } catch (error) {
      try {
        await tellWhereAsked(error, body, client, options);
      } catch (replyError) {
        logger.error({ err: replyError }, 'could not tell the user about an error');
      }
      if (typeof error === 'object' && error !== null) told.add(error);
      throw error;
    }
  };
}

/**
 * The one Slack error handler. Listeners throw; known errors (Rotor's own, refusals, Slack's
 * error codes) become a message the person can act on, said once (by answerErrorsWhereAsked, or
 * here through the response_url for an error thrown before it), and everything else is logged
 * with its cause. Known errors are expected outcomes and log at info. (A form's own field errors
 * are the only refusals said elsewhere: in the acknowledgement of its submission.)
 */
export function createSlackErrorHandler(logger: Logger, options: SlackErrorHandlerOptions = {}) {
  return async ({ error, body }: { error: Error; body: unknown }): Promise<void> => {
    const original = (error as { original?: unknown }).original ?? error;
    const known = isRotorError(original) || isPlatformError(original);
    // Known errors are expected outcomes; their messages quote what the person typed, which
    // could be anything (even a pasted value), so only the code is logged.
    if (known)
      logger.info(
        { code: isRotorError(original) ? original.code : (original as WebAPIPlatformError).data.error },
        'request refused or failed with a known error',
      );
    else if (isSlackUnavailableError(original))
      logger.warn({ code: slackUnavailableCode(original) }, 'a Slack Web API call failed after its retries');
    else logger.error({ err: original }, 'unhandled error in a Slack listener');
    if (told.has(error) || (typeof original === 'object' && original !== null && told.has(original))) return;
    try {
      await tellWhereAsked(original, body, null, options);
    } catch (replyError) {
      logger.error({ err: replyError }, 'could not tell the user about an error');
    }
  };
}
