import { parse } from 'csv-parse/sync';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import { canonicalRecord } from '../inventory/secret-fields.js';
import type { SourceRow } from './source-row.js';

/**
 * Spreadsheets save "CSV" with tabs or, in many locales, semicolons; the header line tells
 * which, since a header holds column names and no commas of its own.
 */
function delimiterOf(text: string): string {
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/).find((line) => line.trim() !== '') ?? '';
  if (header.includes(',')) return ',';
  if (header.includes('\t')) return '\t';
  if (header.includes(';')) return ';';
  return ',';
}

/** CSV with a header row; `name` is the one column every file must have. */
export function parseCsvRows(text: string): SourceRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, delimiter: delimiterOf(text), info: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as typeof records;
  } catch (cause) {
    const line = (cause as { lines?: number }).lines ?? 1;
    throw new ValidationError('The file is not valid CSV.', [{ where: `line ${line}`, message: (cause as Error).message, line }], { cause });
  }
  const [header, ...body] = records;
  if (!header) throw new ValidationError('The CSV file has no header row.', [{ where: 'line 1', message: 'expected a header such as name,type,owner,…', line: 1 }]);
  // Spreadsheets leave trailing commas: a column with no header is ignored while it stays empty.
  const unnamed = header.record.flatMap((column, index) => (column === '' ? [index] : []));
  const named = header.record.flatMap((column, index) => (column === '' ? [] : [[column, index] as const]));
  const { record: columns, unknownKeys } = canonicalRecord(Object.fromEntries(named));
  const headerProblems: ValidationIssue[] = unknownKeys.map((key) => ({ where: 'line 1', message: `unknown column \`${key}\``, line: 1 }));
  if (!('name' in columns)) headerProblems.push({ where: 'line 1', message: `the header has no \`name\` column (found: ${header.record.join(', ')})`, line: 1 });
  if (headerProblems.length > 0) throw new ValidationError('The CSV header is not one Rotor can import.', headerProblems);
  return body.map(({ record: cells, info }) => {
    const record: Record<string, unknown> = {};
    for (const [field, index] of Object.entries(columns)) record[field] = cells[index as number];
    const problems: ValidationIssue[] = [];
    const widthMatches = cells.length === header.record.length || (cells.length === named.length && unnamed.every((index) => index >= named.length));
    if (!widthMatches) problems.push({ where: `line ${info.lines}`, message: `has ${cells.length} values but the header has ${header.record.length} columns`, line: info.lines });
    for (const index of unnamed) {
      const cell = cells[index];
      if (cell !== undefined && cell !== '') problems.push({ where: `line ${info.lines}`, message: `has a value in column ${index + 1}, which has no name in the header; name the column or empty it`, line: info.lines });
    }
    return { line: info.lines, record, problems };
  });
}
