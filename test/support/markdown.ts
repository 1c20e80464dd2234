import { existsSync, readFileSync } from 'node:fs';

/** Markdown read the way GitHub renders it, as far as headings, anchors and links go. */
export interface Heading {
  level: number;
  /** The heading as written, inline code and emphasis included. */
  source: string;
  /** What a reader sees: without backticks, emphasis or link targets. */
  text: string;
  /** The anchor GitHub gives it (`#slug`), numbered when an earlier heading has the same slug. */
  slug: string;
  /** Index into `lines`. */
  line: number;
}

export interface MarkdownLink {
  target: string;
  line: number;
}

export interface MarkdownDocument {
  path: string;
  exists: boolean;
  lines: readonly string[];
  headings: readonly Heading[];
  /** Every anchor a link may point at: heading slugs and `<a id|name="…">`. */
  anchors: ReadonlySet<string>;
  /** In-text links `[text](target)` and `![alt](target)`, outside code. */
  links: readonly MarkdownLink[];
}

const FENCE = /^\s{0,3}(```|~~~)/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const LINK = /!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g;
const HTML_ANCHOR = /<a\s+(?:id|name)="([^"]+)"/g;

/** What a heading or link text shows: link texts kept, targets, HTML tags, backticks and emphasis dropped. */
export function visibleText(markdown: string): string {
  // Inline code shows its text as written (`<file>` included); only outside it are tags and emphasis markup.
  return markdown
    .replace(/!?\[((?:[^\]\\]|\\.)*)\]\([^)]*\)/g, '$1')
    .split(/(`+)((?:(?!\1).)+?)\1/)
    .map((part, index) => (index % 3 === 2 ? part : index % 3 === 1 ? '' : part.replace(/<[^>]*>/g, '').replace(/[`*]/g, '')))
    .join('')
    .trim();
}

/**
 * GitHub's heading anchor (github-slugger): lower case, every character that is not a letter,
 * mark, digit, connector (`_`), hyphen or space removed, then each space a hyphen.
 */
export function githubSlug(heading: string): string {
  return visibleText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The line without its inline code spans, so a bracket or link shown as code is not taken for a link. */
function withoutInlineCode(line: string): string {
  return line.replace(/(`+)(?:(?!\1).)+?\1/g, '');
}

export function readMarkdown(path: string): MarkdownDocument {
  const exists = existsSync(path);
  const lines = exists ? readFileSync(path, 'utf8').split(/\r?\n/) : [];
  const headings: Heading[] = [];
  const links: MarkdownLink[] = [];
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | null = null;
  lines.forEach((line, index) => {
    const fenceMark = FENCE.exec(line)?.[1];
    if (fenceMark && (fence === null || fenceMark === fence)) {
      fence = fence === null ? fenceMark : null;
      return;
    }
    if (fence !== null) return;
    const heading = HEADING.exec(line);
    if (heading) {
      const source = heading[2] as string;
      const base = githubSlug(source);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      const slug = count === 0 ? base : `${base}-${count}`;
      headings.push({ level: (heading[1] as string).length, source, text: visibleText(source), slug, line: index });
      anchors.add(slug);
    }
    const prose = withoutInlineCode(line);
    for (const match of prose.matchAll(HTML_ANCHOR)) anchors.add(match[1] as string);
    for (const match of prose.matchAll(LINK)) links.push({ target: match[1] as string, line: index });
  });
  return { path, exists, lines, headings, anchors, links };
}

/** The lines of a heading's section: from the heading to the next heading of its level or higher. */
export function sectionLines(document: MarkdownDocument, heading: Heading): readonly string[] {
  const next = document.headings.find((other) => other.line > heading.line && other.level <= heading.level);
  return document.lines.slice(heading.line, next ? next.line : document.lines.length);
}

/** The section under the first heading whose visible text is `text`; empty when there is none. */
export function section(document: MarkdownDocument, text: string): readonly string[] {
  const heading = document.headings.find((candidate) => candidate.text === text);
  return heading ? sectionLines(document, heading) : [];
}
