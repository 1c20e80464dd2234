import { WebClient } from '@slack/web-api';

/** Far below the sweeps' 10-minute claim timeout, far above a normal Web API call. */
const REQUEST_TIMEOUT_MS = 15_000;

export interface OutboundClients {
  /** Never retries inside the client: a 5xx after Slack stored a message would post it twice. */
  post: WebClient;
  /** Reads are idempotent and use the client's own bounded retries, which honour Retry-After. */
  read: WebClient;
}

/**
 * The Web API clients for messages Rotor sends on its own (reminders, announcements, follow-ups),
 * separate from Bolt's client, which retries by design. A request that hangs ends well inside a
 * sweep's claim timeout: an unanswered post is then "ambiguous" and looked up before it is sent
 * again, instead of landing after another sweep took over.
 */
export function createOutboundClients(token: string, slackApiUrl?: string): OutboundClients {
  const common = { timeout: REQUEST_TIMEOUT_MS, ...(slackApiUrl ? { slackApiUrl } : {}) };
  return {
    post: new WebClient(token, { ...common, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } }),
    read: new WebClient(token, { ...common, retryConfig: { retries: 3, factor: 1, minTimeout: 200, maxTimeout: 2000 } }),
  };
}
