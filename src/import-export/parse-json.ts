import { mappingRow, type KeyAt } from './mapping-row.js';
import { parseYamlRows } from './parse-yaml.js';
import type { SourceRow } from './source-row.js';

/**
 * JSON rows. The YAML reader knows every node's line but builds a syntax tree of the whole file
 * first (100,000 secrets took about 9 s, mostly in the garbage collector), so plain JSON is
 * read by JSON.parse and one pass over the text that notes the line of each secret and of each
 * of its keys. Whatever that pass does not take for plain JSON (invalid JSON, duplicate keys, a
 * byte order mark, a lone CR, a file that is not a list of secrets) goes to the YAML reader,
 * which answers, and words its errors, as it always has.
 */
export function parseJsonRows(text: string): SourceRow[] {
  return plainJsonRows(text) ?? parseYamlRows(text, 'json');
}

/** One element of the list of secrets: its first line, and its keys in file order when it is an object. */
interface ElementAt {
  line: number;
  keys: KeyAt[] | null;
}

/** Thrown by the scan when the text leaves the plain-JSON path. */
class NotPlainJson extends Error {}

/** The rows parseYamlRows(text, 'json') returns, read the fast way; null when the text is not plain JSON. */
export function plainJsonRows(text: string): SourceRow[] | null {
  if (text.includes('\uFEFF') || /\r(?!\n)/.test(text)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const list = Array.isArray(parsed)
    ? parsed
    : isObject(parsed) && Object.hasOwn(parsed, 'secrets') && Array.isArray(parsed.secrets)
      ? (parsed.secrets as unknown[])
      : null;
  if (!list) return null;
  let elements: ElementAt[];
  try {
    elements = new JsonPositions(text).listElements(Array.isArray(parsed));
  } catch (error) {
    if (error instanceof NotPlainJson || error instanceof RangeError) return null;
    throw error;
  }
  if (elements.length !== list.length) return null;
  return list.map((item, index) => {
    const at = elements[index] as ElementAt;
    return mappingRow(item, at.line, at.keys);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

/**
 * Walks text JSON.parse has already accepted, counting lines. It notes where each element of
 * the list of secrets starts and the keys of each element object, and gives up (NotPlainJson)
 * on anything the YAML reader would treat differently: a key repeated in any object, a key
 * split from its colon by a line break, or a key too long to be a YAML implicit key.
 */
class JsonPositions {
  private pos = 0;
  private line = 1;

  constructor(private readonly text: string) {}

  listElements(topIsList: boolean): ElementAt[] {
    this.space();
    if (topIsList) return this.array(true);
    let elements: ElementAt[] | null = null;
    this.object((key) => {
      if (key !== 'secrets') return false;
      this.space();
      elements = this.array(true);
      return true;
    });
    if (!elements) throw new NotPlainJson();
    return elements;
  }

  private space(): void {
    for (;;) {
      const code = this.text.charCodeAt(this.pos);
      if (code === NEWLINE) {
        this.line += 1;
        this.pos += 1;
      } else if (code === 0x20 || code === 0x09 || code === 0x0d) this.pos += 1;
      else return;
    }
  }

  /** A string token at `pos`, decoded; JSON strings hold no raw line breaks, so lines do not move. */
  private string(): string {
    const start = this.pos;
    let end = start;
    for (;;) {
      end = this.text.indexOf('"', end + 1);
      let backslashes = 0;
      while (this.text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes += 1;
      if (backslashes % 2 === 0) break;
    }
    this.pos = end + 1;
    const raw = this.text.slice(start + 1, end);
    return raw.includes('\\') ? (JSON.parse(this.text.slice(start, end + 1)) as string) : raw;
  }

  /** Skips one value; returns its keys (file order) when it is an object and they were asked for. */
  private value(wantKeys: boolean): KeyAt[] | null {
    const code = this.text.charCodeAt(this.pos);
    if (code === 0x7b) {
      const keys: KeyAt[] = [];
      this.object((key, line) => {
        if (wantKeys) keys.push({ key, line });
        return false;
      });
      return wantKeys ? keys : null;
    }
    if (code === 0x5b) this.array(false);
    else if (code === QUOTE) this.string();
    else {
      while (this.pos < this.text.length && !',]} \t\r\n'.includes(this.text[this.pos] as string)) this.pos += 1;
    }
    return null;
  }

  /** An object at `pos`. `onKey` may read the key's value itself (returning true); otherwise it is skipped. */
  private object(onKey: (key: string, line: number) => boolean): void {
    const seen = new Set<string>();
    this.pos += 1;
    this.space();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos += 1;
      return;
    }
    for (;;) {
      this.space();
      const line = this.line;
      const start = this.pos;
      const key = this.string();
      if (seen.has(key) || this.pos - start > 1000) throw new NotPlainJson();
      seen.add(key);
      this.space();
      if (this.line !== line) throw new NotPlainJson();
      this.pos += 1;
      this.space();
      if (!onKey(key, line)) this.value(false);
      this.space();
      const next = this.text.charCodeAt(this.pos);
      this.pos += 1;
      if (next === 0x7d) return;
    }
  }

  /** An array at `pos`; with `note`, where each element starts and the keys of element objects. */
  private array(note: boolean): ElementAt[] {
    const elements: ElementAt[] = [];
    this.pos += 1;
    this.space();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos += 1;
      return elements;
    }
    for (;;) {
      this.space();
      const line = this.line;
      const keys = this.value(note);
      if (note) elements.push({ line, keys });
      this.space();
      const next = this.text.charCodeAt(this.pos);
      this.pos += 1;
      if (next === 0x5d) return elements;
    }
  }
}
