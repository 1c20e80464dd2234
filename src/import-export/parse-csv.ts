import { parse } from 'csv-parse/sync';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import { readNeutralizedCell } from '../core/spreadsheet-cells.js';
import { canonicalRecord } from '../inventory/secret-fields.js';
import { MAX_COLUMNS, unknownColumnMessage } from './column-names.js';
import type { SourceRow } from './source-row.js';

/** Far above any inventory row (a description and retrieval instructions are 2,000 characters each). */
const MAX_RECORD_BYTES = 1024 * 1024;

/** The first line with content, found without splitting the whole file. */
function firstLine(text: string): string {
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end).replace(/\r$/, '');
    if (line.trim() !== '' || end < 0) return line;
    start = end + 1;
  }
}

/**
 * Spreadsheets save "CSV" with tabs or, in many locales, semicolons; the header line tells
 * which, since a header holds column names and no commas of its own.
 */
function delimiterOf(header: string): string {
  if (header.includes(',')) return ',';
  if (header.includes('\t')) return '\t';
  if (header.includes(';')) return ';';
  return ',';
}

function count(text: string, char: string): number {
  let found = 0;
  for (let index = text.indexOf(char); index >= 0; index = text.indexOf(char, index + 1)) found += 1;
  return found;
}

/**
 * CSV (or, with `delimiter`, TSV) with a header row; `name` is the one column every file must
 * have. The header is checked before anything else is read: a file with thousands of columns is
 * refused in one line, not answered with a problem per column.
 */
export function parseCsvRows(text: string, delimiter?: string): SourceRow[] {
  const body = text.replace(/^\uFEFF/, '');
  const headerLine = firstLine(body);
  const separator = delimiter ?? delimiterOf(headerLine);
  const columnCount = count(headerLine, separator) + 1;
  if (headerLine.length > MAX_RECORD_BYTES || columnCount > MAX_COLUMNS) {
    throw new ValidationError('The CSV header is not one Rotor can import.', [
      {
        where: 'line 1',
        message: `the header has ${columnCount} columns (${headerLine.length} characters); an inventory has at most ${MAX_COLUMNS}. Check that this is the inventory file, saved as CSV`,
        line: 1,
      },
    ]);
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(body, {
      delimiter: separator,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      // Excel ends a sheet saved as CSV with rows of delimiters only (`;;;;`): nothing to import.
      skip_records_with_empty_values: true,
      trim: true,
      max_record_size: MAX_RECORD_BYTES,
    }) as unknown as typeof records;
  } catch (cause) {
    const line = (cause as { lines?: number }).lines ?? 1;
    const tooLong = (cause as { code?: string }).code === 'CSV_MAX_RECORD_SIZE';
    const message = tooLong
      ? `is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MiB; no inventory row is, so a quote is probably left open above it`
      : (cause as Error).message;
    throw new ValidationError('The file is not valid CSV.', [{ where: `line ${line}`, message, line }], { cause });
  }
  const [header, ...rows] = records;
  if (!header)
    throw new ValidationError('The CSV file has no header row.', [
      { where: 'line 1', message: 'expected a header such as name,type,owner,…', line: 1 },
    ]);
  // Spreadsheets leave trailing commas: a column with no header is ignored while it stays empty.
  const unnamed = header.record.flatMap((column, index) => (column === '' ? [index] : []));
  const named = header.record.flatMap((column, index) => (column === '' ? [] : [[column, index] as const]));
  const { record: columns, unknownKeys } = canonicalRecord(Object.fromEntries(named));
  const headerProblems: ValidationIssue[] = unknownKeys.map((key) => ({
    where: `line ${header.info.lines}`,
    message: unknownColumnMessage('column', key),
    line: header.info.lines,
  }));
  if (!('name' in columns))
    headerProblems.push({
      where: `line ${header.info.lines}`,
      message: `the header has no \`name\` column (found: ${named.map(([column]) => column).join(', ')})`,
      line: header.info.lines,
    });
  if (headerProblems.length > 0) throw new ValidationError('The CSV header is not one Rotor can import.', headerProblems);
  return rows.map(({ record: cells, info }) => {
    const record: Record<string, unknown> = {};
    for (const [field, index] of Object.entries(columns)) {
      const cell = cells[index as number];
      record[field] = cell === undefined ? cell : readNeutralizedCell(cell);
    }
    const problems: ValidationIssue[] = [];
    const widthMatches =
      cells.length === header.record.length || (cells.length === named.length && unnamed.every((index) => index >= named.length));
    if (!widthMatches)
      problems.push({
        where: `line ${info.lines}`,
        message: `has ${cells.length} values but the header has ${header.record.length} columns`,
        line: info.lines,
      });
    for (const index of unnamed) {
      const cell = cells[index];
      if (cell !== undefined && cell !== '')
        problems.push({
          where: `line ${info.lines}`,
          message: `has a value in column ${index + 1}, which has no name in the header; name the column or empty it`,
          line: info.lines,
        });
    }
    return { line: info.lines, record, problems };
  });
}
