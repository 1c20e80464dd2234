import { ValidationError, type ValidationIssue } from '../core/errors.js';
import type { PlannedChange } from '../inventory/inventory-service.js';
import { parseSecretFields, type SecretFields } from '../inventory/secret-fields.js';
import type { Services } from '../services.js';
import { readImportFile } from './import-file.js';
import { parseCsvRows } from './parse-csv.js';
import { parseJsonRows } from './parse-json.js';
import { parseMarkdownRows } from './parse-markdown.js';
import { parseYamlRows } from './parse-yaml.js';
import { plainYamlRows } from './plain-yaml.js';
import type { ImportFormat, SourceRow } from './source-row.js';

export interface ImportOptions {
  /** Write the valid rows even when others are invalid. */
  partial?: boolean;
  /** Work out the changes, write nothing. */
  dryRun?: boolean;
  actor: string;
  /** Recorded in each audit event, e.g. the file name. */
  source: string;
}

export interface ImportReport {
  changes: PlannedChange[];
  /** Problems of rows left out (only with `partial`; otherwise they are thrown). */
  rejected: ValidationIssue[];
  rejectedRows: number;
  written: boolean;
}

export function parseRows(format: ImportFormat, text: string, services: Pick<Services, 'policy'>): SourceRow[] {
  switch (format) {
    case 'yaml':
      return plainYamlRows(text) ?? parseYamlRows(text, format);
    case 'json':
      return parseJsonRows(text);
    case 'csv':
      return parseCsvRows(text);
    case 'markdown':
      return parseMarkdownRows(text, services.policy);
  }
}

/**
 * Validates every row, reports every problem at once with its line, and writes all rows in
 * one transaction, or none. Re-importing the same rows changes nothing (and audits nothing).
 */
export function importRows(rows: readonly SourceRow[], services: Services, options: ImportOptions): ImportReport {
  const issues: ValidationIssue[] = [];
  let rejectedRows = 0;
  const valid: { row: SourceRow; fields: SecretFields }[] = [];
  const firstLine = new Map<string, number>();
  const now = services.clock.now();
  for (const row of rows) {
    const rowIssues: ValidationIssue[] = [...(row.problems ?? [])];
    const { fields, issues: fieldIssues } = parseSecretFields(row.record, services.policy, now);
    for (const issue of fieldIssues) {
      const line = row.fieldLines?.[fieldKey(issue.where)] ?? row.line;
      rowIssues.push({ where: `line ${line}, ${issue.where}`, message: issue.message, line });
    }
    if (fields) {
      const seen = firstLine.get(fields.name);
      if (seen !== undefined) rowIssues.push({ where: `line ${row.line}, name`, message: `\`${fields.name}\` appears more than once (first on line ${seen})`, line: row.line });
      else firstLine.set(fields.name, row.line);
    }
    if (rowIssues.length > 0 || !fields) {
      issues.push(...rowIssues);
      rejectedRows += 1;
    } else valid.push({ row, fields });
  }
  const plan = services.inventoryService.plan(valid.map(({ fields }) => fields));
  const rejectedIndexes = new Set(plan.issues.map((issue) => issue.index));
  rejectedRows += rejectedIndexes.size;
  for (const issue of plan.issues) {
    const line = valid[issue.index]?.row.line ?? 0;
    issues.push({ where: `line ${line}, ${issue.field}`, message: issue.message, line });
  }
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (issues.length > 0 && !options.partial) {
    throw new ValidationError(`Nothing was imported: ${rejectedRows} of ${rows.length} rows have problems. Fix them (or pass --partial to import only the valid rows).`, issues);
  }
  const changes = rejectedIndexes.size === 0 ? plan.changes : services.inventoryService.plan(valid.filter((_, index) => !rejectedIndexes.has(index)).map(({ fields }) => fields)).changes;
  if (options.partial && changes.length === 0 && issues.length > 0) {
    throw new ValidationError(`Nothing was imported: every one of the ${rows.length} rows has problems.`, issues);
  }
  if (options.dryRun) return { changes, rejected: issues, rejectedRows, written: false };
  services.inventoryService.apply(changes, options.actor, options.source);
  return { changes, rejected: issues, rejectedRows, written: true };
}

export function importFile(path: string, services: Services, options: ImportOptions): ImportReport {
  const { format, text } = readImportFile(path);
  return importRows(parseRows(format, text, services), services, options);
}

/** `owner` from "owner", the field part of a `where` such as "provider_ref". */
function fieldKey(where: string): string {
  return where.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}
