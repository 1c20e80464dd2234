import type { SlackMessage } from '../views/slack-message.js';

/**
 * Posts an ephemeral reply to a response_url, the way Bolt's `respond` does. The answer's body is
 * read to its end: an unread body keeps its connection and buffers until garbage collection.
 */
export async function postToResponseUrl(
  responseUrl: string,
  message: SlackMessage,
  options: { replaceOriginal?: boolean } = {},
): Promise<void> {
  const response = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', replace_original: options.replaceOriginal ?? false, ...message }),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`response_url answered HTTP ${response.status}`);
}
