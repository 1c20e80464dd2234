import { createHmac, randomBytes } from 'node:crypto';

/** Run-time test credentials: nothing token-shaped is ever written into the repository. */
export function generateSlackCredentials(): { botToken: string; signingSecret: string; appToken: string } {
  return {
    botToken: ['xoxb', randomBytes(6).toString('hex')].join('-'),
    signingSecret: randomBytes(16).toString('hex'),
    appToken: ['xapp', randomBytes(6).toString('hex')].join('-'),
  };
}

/** Signs a body exactly as Slack does: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`. */
export function signSlackBody(signingSecret: string, rawBody: string, timestamp: number): string {
  return 'v0=' + createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex');
}

export interface SignedPostOptions {
  signingSecret: string;
  /** Seconds since the epoch; defaults to now. */
  timestamp?: number;
  /** Replaces the computed signature, to test rejection. */
  signature?: string;
  retryNum?: number;
  retryReason?: string;
}

export type SlackBody =
  | { kind: 'form'; fields: Record<string, string> }
  | { kind: 'payload'; payload: unknown }
  | { kind: 'json'; json: unknown };

/** The raw body and content type Slack would send for each kind of request. */
export function encodeSlackBody(body: SlackBody): { rawBody: string; contentType: string } {
  switch (body.kind) {
    case 'form':
      return { rawBody: new URLSearchParams(body.fields).toString(), contentType: 'application/x-www-form-urlencoded' };
    case 'payload':
      return {
        rawBody: new URLSearchParams({ payload: JSON.stringify(body.payload) }).toString(),
        contentType: 'application/x-www-form-urlencoded',
      };
    case 'json':
      return { rawBody: JSON.stringify(body.json), contentType: 'application/json' };
  }
}

export interface SlackHttpReply {
  status: number;
  text: string;
  json: () => unknown;
}

/** POSTs a signed request to the app's /slack/events endpoint. */
export async function postSignedToSlackApp(eventsUrl: string, body: SlackBody, options: SignedPostOptions): Promise<SlackHttpReply> {
  const { rawBody, contentType } = encodeSlackBody(body);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'X-Slack-Request-Timestamp': String(timestamp),
    'X-Slack-Signature': options.signature ?? signSlackBody(options.signingSecret, rawBody, timestamp),
  };
  if (options.retryNum !== undefined) headers['X-Slack-Retry-Num'] = String(options.retryNum);
  if (options.retryReason !== undefined) headers['X-Slack-Retry-Reason'] = options.retryReason;
  const response = await fetch(eventsUrl, { method: 'POST', headers, body: rawBody });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as unknown };
}
