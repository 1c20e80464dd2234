/**
 * Text that people typed (notes, reasons, tickets) inside Markdown evidence: it must read as
 * written and never turn into markup, HTML or a broken table.
 */

/**
 * A table cell: the text as typed, escaped for Markdown (not for Slack or HTML): `\\`, `|`, `<`
 * and `>` get a backslash, so `<!here>` or a link reads as written and never becomes raw HTML or
 * an autolink; `&` stays `&` unless it would start an entity (`&amp;` typed stays `&amp;`); line
 * breaks are kept as `<br>`.
 */
export function markdownCell(text: string | null | undefined): string {
  if (text === null || text === undefined || text === '') return '–';
  return text
    .replace(/[\\|<>]/g, '\\$&')
    .replace(/&(?=#?[0-9A-Za-z]+;)/g, '\\&')
    .replace(/\r?\n/g, '<br>');
}

/** An identifier (name, version id, hash, command) as a code span, safe inside a table. */
export function markdownCode(text: string | null | undefined): string {
  if (text === null || text === undefined || text === '') return '–';
  const fence = text.includes('`') ? '``' : '`';
  const padded = fence.length > 1 ? ` ${text} ` : text;
  return `${fence}${padded.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')}${fence}`;
}

/** A GitHub-flavoured table; cells are already escaped. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}
