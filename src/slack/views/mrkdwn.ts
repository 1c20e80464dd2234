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
