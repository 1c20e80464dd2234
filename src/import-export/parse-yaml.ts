import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import { canonicalRecord } from '../inventory/secret-fields.js';
import { MAX_COLUMNS, unknownColumnMessage } from './column-names.js';
import type { ImportFormat, SourceRow } from './source-row.js';

/**
 * YAML and JSON rows (JSON is read by the YAML parser, which knows every node's line). The
 * file is a list of secrets, or a mapping with a `secrets:` list.
 */
export function parseYamlRows(text: string, format: Extract<ImportFormat, 'yaml' | 'json'>): SourceRow[] {
  const lineCounter = new LineCounter();
  // `merge` lets teams share defaults with `<<: *defaults`, as YAML 1.1 files commonly do.
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, merge: true });
  const lineOf = (node: Node | null | undefined) => (node?.range ? lineCounter.linePos(node.range[0]).line : 1);
  if (document.errors.length > 0) {
    throw new ValidationError(
      `The file is not valid ${format.toUpperCase()}.`,
      document.errors.map((error) => {
        const line = error.linePos?.[0]?.line ?? 1;
        return { where: `line ${line}`, message: error.message.split('\n')[0] ?? error.message, line };
      }),
    );
  }
  const top: unknown = document.contents;
  const list: unknown = isMap(top) && top.has('secrets') ? top.get('secrets', true) : top;
  if (!isSeq(list)) {
    const line = lineOf(document.contents);
    throw new ValidationError('The file must be a list of secrets, or have a `secrets:` list.', [
      { where: `line ${line}`, message: 'expected a list of secrets', line },
    ]);
  }
  const rows: SourceRow[] = [];
  for (const item of list.items as unknown[]) {
    const line = lineOf(item as Node);
    if (!isMap(item)) {
      rows.push({
        line,
        record: {},
        problems: [{ where: `line ${line}`, message: 'each secret must be a mapping of fields (name:, owner:, …)', line }],
      });
      continue;
    }
    const problems: ValidationIssue[] = [];
    let raw: Record<string, unknown>;
    try {
      // Resolved against the whole document, so aliases (`owner: *lead`) become their values.
      raw = (item as YAMLMap).toJS(document, { maxAliasCount: 1000 }) as Record<string, unknown>;
    } catch (error) {
      rows.push({
        line,
        record: {},
        problems: [{ where: `line ${line}`, message: `${(error as Error).message}; define each &anchor before its *alias`, line }],
      });
      continue;
    }
    const { record, unknownKeys } = canonicalRecord(raw);
    const fieldLines: Record<string, number> = {};
    if (unknownKeys.length > MAX_COLUMNS) {
      problems.push({
        where: `line ${line}`,
        message: `has ${unknownKeys.length} fields Rotor does not read; an inventory entry has at most ${MAX_COLUMNS}`,
        line,
      });
    }
    const unknown = new Set(unknownKeys.length > MAX_COLUMNS ? [] : unknownKeys);
    for (const pair of (item as YAMLMap).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const canonical = canonicalRecord({ [key]: true }).record;
      for (const field of Object.keys(canonical)) fieldLines[field] = lineOf(pair.key as Node);
      if (unknown.has(key))
        problems.push({
          where: `line ${lineOf(pair.key as Node)}`,
          message: unknownColumnMessage('field', key),
          line: lineOf(pair.key as Node),
        });
    }
    rows.push({ line, record, fieldLines, problems });
  }
  return rows;
}
