import { parse } from 'csv-parse/sync';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import { canonicalRecord } from '../inventory/secret-fields.js';
import type { SourceRow } from './source-row.js';

/** CSV with a header row; `name` is the one column every file must have. */
export function parseCsvRows(text: string): SourceRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as typeof records;
  } catch (cause) {
    const line = (cause as { lines?: number }).lines ?? 1;
    throw new ValidationError('The file is not valid CSV.', [{ where: `line ${line}`, message: (cause as Error).message, line }], { cause });
  }
  const [header, ...body] = records;
  if (!header) throw new ValidationError('The CSV file has no header row.', [{ where: 'line 1', message: 'expected a header such as name,type,owner,…', line: 1 }]);
  const { record: columns, unknownKeys } = canonicalRecord(Object.fromEntries(header.record.map((column, index) => [column, index])));
  const headerProblems: ValidationIssue[] = unknownKeys.map((key) => ({ where: 'line 1', message: `unknown column \`${key}\``, line: 1 }));
  if (!('name' in columns)) headerProblems.push({ where: 'line 1', message: `the header has no \`name\` column (found: ${header.record.join(', ')})`, line: 1 });
  if (headerProblems.length > 0) throw new ValidationError('The CSV header is not one Rotor can import.', headerProblems);
  return body.map(({ record: cells, info }) => {
    const record: Record<string, unknown> = {};
    for (const [field, index] of Object.entries(columns)) record[field] = cells[index as number];
    const problems: ValidationIssue[] =
      cells.length === header.record.length
        ? []
        : [{ where: `line ${info.lines}`, message: `has ${cells.length} values but the header has ${header.record.length} columns`, line: info.lines }];
    return { line: info.lines, record, problems };
  });
}
