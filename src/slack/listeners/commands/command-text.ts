/**
 * A slash command's text as the person typed it. Slack escapes `&`, `<` and `>` in it (its
 * own mentions and links stay `<…>`), so `a&b` arrives as `a&amp;b`: kept that way, a reason or
 * a postmortem link would be stored, prefilled, exported and shown with Slack's escapes in it.
 */
export function typedText(commandText: string): string {
  return commandText.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
