import type { ValidationIssue } from '../core/errors.js';
import { canonicalRecord } from '../inventory/secret-fields.js';
import { MAX_COLUMNS, unknownColumnMessage } from './column-names.js';
import type { SourceRow } from './source-row.js';

/** A key of an item as the file spells it, with its line. */
export interface KeyAt {
  key: string;
  line: number;
}

export const NOT_A_MAPPING = 'each secret must be a mapping of fields (name:, owner:, …)';

/**
 * The row parseYamlRows builds for one item of the list of secrets, for the fast readers of
 * plain JSON and plain YAML: `item` is its value, `keys` its keys in file order (null when it is
 * not a mapping).
 */
export function mappingRow(item: unknown, line: number, keys: readonly KeyAt[] | null): SourceRow {
  if (keys === null || typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { line, record: {}, problems: [{ where: `line ${line}`, message: NOT_A_MAPPING, line }] };
  }
  const { record, unknownKeys } = canonicalRecord(item as Record<string, unknown>);
  const fieldLines: Record<string, number> = {};
  const problems: ValidationIssue[] = [];
  // As parseYamlRows does: past MAX_COLUMNS unknown fields the row is not an inventory entry, said once.
  if (unknownKeys.length > MAX_COLUMNS) {
    problems.push({
      where: `line ${line}`,
      message: `has ${unknownKeys.length} fields Rotor does not read; an inventory entry has at most ${MAX_COLUMNS}`,
      line,
    });
  }
  const unknown = new Set(unknownKeys.length > MAX_COLUMNS ? [] : unknownKeys);
  for (const { key, line: keyLine } of keys) {
    for (const field of Object.keys(canonicalRecord({ [key]: true }).record)) fieldLines[field] = keyLine;
    if (unknown.has(key)) problems.push({ where: `line ${keyLine}`, message: unknownColumnMessage('field', key), line: keyLine });
  }
  return { line, record, fieldLines, problems };
}
