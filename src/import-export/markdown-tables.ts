/** A GitHub-flavoured pipe table found in a Markdown file. */
export interface MarkdownTable {
  /** The nearest heading above the table, for messages. */
  heading: string;
  headerLine: number;
  header: string[];
  rows: { line: number; cells: string[] }[];
}

/** `<@U0123ABCD|label>` as Slack writes a mention: the label holds no `|` or `>`. */
const MENTION_WITH_LABEL = /^<@[UW][A-Z0-9]{2,}\|[^|>]{0,80}>/;

/** GitHub accepts a single dash per delimiter cell (`|:-|-:|`), so Rotor does too. */
const SEPARATOR_CELL = /^:?-+:?$/;

function splitRow(line: string): string[] {
  let body = line.trim();
  if (body.startsWith('|')) body = body.slice(1);
  if (body.endsWith('|') && !body.endsWith('\\|')) body = body.slice(0, -1);
  const cells: string[] = [];
  let current = '';
  let inCode = false;
  for (let index = 0; index < body.length; index += 1) {
    const char = body[index] as string;
    if (char === '\\' && body[index + 1] === '|') {
      current += '|';
      index += 1;
    } else if (char === '`') {
      inCode = !inCode;
      current += char;
    } else if (char === '<' && !inCode && MENTION_WITH_LABEL.test(body.slice(index))) {
      // A Slack mention with its label, `<@U0123ABCD|olivia>`, keeps its `|` inside one cell.
      const mention = (MENTION_WITH_LABEL.exec(body.slice(index)) as RegExpExecArray)[0];
      current += mention;
      index += mention.length - 1;
    } else if (char === '|' && !inCode) {
      cells.push(current.trim());
      current = '';
    } else current += char;
  }
  cells.push(current.trim());
  return cells;
}

function isSeparator(line: string): boolean {
  const cells = splitRow(line);
  return line.includes('-') && cells.length > 0 && cells.every((cell) => SEPARATOR_CELL.test(cell));
}

/**
 * `## Title` → `Title`, or null when the line is no ATX heading. By hand rather than with
 * `^#{1,6}\s+(.*)$`, whose `\s+` and `.*` both take spaces and backtrack quadratically.
 */
function headingOf(line: string): string | null {
  let level = 0;
  while (line[level] === '#') level += 1;
  if (level < 1 || level > 6 || !/\s/.test(line[level] ?? '')) return null;
  const title = line.slice(level).trim();
  return /[\n\r\u2028\u2029]/.test(title) ? null : title;
}

/** Every pipe table in the text (outside fenced code blocks), with 1-based line numbers. */
export function findMarkdownTables(text: string): MarkdownTable[] {
  const lines = text.split(/\r?\n/);
  const tables: MarkdownTable[] = [];
  let heading = '';
  let inFence = false;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as string;
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) continue;
    heading = headingOf(line) ?? heading;
    const next = lines[index + 1];
    if (!line.includes('|') || next === undefined || !isSeparator(next)) continue;
    const table: MarkdownTable = { heading, headerLine: index + 1, header: splitRow(line), rows: [] };
    index += 2;
    while (index < lines.length && (lines[index] as string).includes('|') && (lines[index] as string).trim() !== '') {
      table.rows.push({ line: index + 1, cells: splitRow(lines[index] as string) });
      index += 1;
    }
    index -= 1;
    tables.push(table);
  }
  return tables;
}
