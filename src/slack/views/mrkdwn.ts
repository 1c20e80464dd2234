/**
 * Slack reads `<…>` as a mention, channel, special command or link and `&` as an entity, so
 * every user-supplied string goes through `escapeMrkdwn` before it reaches a text object:
 * `<!channel>`, `<@U…>` or `<https://…|click>` typed into a description then shows literally.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline code for an identifier a person typed (also escaped: backticks do not stop Slack's parser). */
export function code(text: string): string {
  return '`' + escapeMrkdwn(text.replace(/`/g, "'")) + '`';
}

/** A mention of a Slack user id Rotor holds (validated on the way in), or a dash. */
export function mention(userId: string | null | undefined): string {
  return userId && /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : '—';
}

/** Cuts text to `max` characters, ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * `escapeMrkdwn(text)` cut to at most `max` characters, ending with an ellipsis when cut. The
 * limit applies to what Slack receives, so it is counted after escaping (a 2,000-character cell
 * of `&` escapes to 10,000), and an entity is never split.
 */
export function escapeWithin(text: string, max: number): string {
  const escaped = escapeMrkdwn(text);
  if (escaped.length <= max) return escaped;
  let length = 0;
  let end = 0;
  for (const char of text) {
    const piece = ESCAPES[char] ?? char;
    if (length + piece.length > max - 1) break;
    length += piece.length;
    end += char.length;
  }
  return escapeMrkdwn(text.slice(0, end)) + '…';
}

/** Cuts already-escaped mrkdwn to `max` characters, backing off rather than splitting an entity. */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return cut + '…';
}
