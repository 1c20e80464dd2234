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
  // Rotor's own work (an automatic rotation) is Rotor's, not nobody's.
  if (userId === 'rotor') return 'Rotor';
  return userId && /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : '—';
}

/** Who may read a secret: people as mentions, user groups (`S…`) as group mentions, cut after `max` entries. */
export function accessText(access: readonly string[], max = 50): string {
  if (access.length === 0) return '—';
  const shown = access.slice(0, max).map((id) => (/^S[A-Z0-9]+$/.test(id) ? `<!subteam^${id}>` : mention(id)));
  return `${shown.join(', ')}${access.length > max ? ` and ${access.length - max} more` : ''}`;
}

/** A Slack channel id as Slack issues them (`C…` public, `G…` private): nine characters or more. */
const CHANNEL_ID = /^[CG][A-Z0-9]{8,}$/;

export function isChannelId(text: string): boolean {
  return CHANNEL_ID.test(text);
}

/** A channel id Rotor holds (a consumer given as its channel, a policy channel) as a channel mention; other text escaped. */
export function channelOrText(text: string): string {
  return CHANNEL_ID.test(text) ? `<#${text}>` : escapeMrkdwn(text);
}

/** A list of consumers as people read it: channels as channel mentions, service names escaped, cut to about `max` characters. */
export function consumersText(consumers: readonly string[], max: number): string {
  const shown: string[] = [];
  let length = 0;
  for (const consumer of consumers) {
    const piece = CHANNEL_ID.test(consumer) ? `<#${consumer}>` : escapeWithin(consumer, 200);
    if (length + piece.length > max) break;
    shown.push(piece);
    length += piece.length + 2;
  }
  const more = consumers.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
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
