import type { Actor } from '../access/actor.js';
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
  actor: Actor;
  /** Recorded in each audit event, e.g. the file name. */
  source: string;
}

export interface ImportReport {
  changes: PlannedChange[];
  /** Problems of rows left out (only with `partial`; otherwise they are thrown), each once. */
  rejected: ValidationIssue[];
  rejectedRows: number;
  /** Unusable fields of rows imported without them (only with `partial`; otherwise they are errors). */
  warnings: ValidationIssue[];
  /** Problems found beyond the MAX_REPORTED_ISSUES kept in `rejected` and `warnings`. */
  unlisted: number;
  written: boolean;
}

/** Problems kept for the report: a file with a million bad rows must not cost a million messages. */
export const MAX_REPORTED_ISSUES = 1000;

/** Issues in file order, each (place and message) once, at most MAX_REPORTED_ISSUES of them. */
class IssueList {
  readonly items: ValidationIssue[] = [];
  unlisted = 0;
  private readonly seen = new Set<string>();

  add(issue: ValidationIssue): void {
    const key = `${issue.where}\u0000${issue.message}`;
    if (this.seen.has(key)) return;
    if (this.items.length >= MAX_REPORTED_ISSUES) {
      this.unlisted += 1;
      return;
    }
    this.seen.add(key);
    this.items.push(issue);
  }

  sorted(): ValidationIssue[] {
    return [...this.items].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  }
}

export function parseRows(format: ImportFormat, text: string, services: Pick<Services, 'policy'>): SourceRow[] {
  switch (format) {
    case 'yaml':
      return plainYamlRows(text) ?? parseYamlRows(text, format);
    case 'json':
      return parseJsonRows(text);
    case 'csv':
      return parseCsvRows(text);
    case 'tsv':
      return parseCsvRows(text, '\t');
    case 'markdown':
      return parseMarkdownRows(text, services.policy);
  }
}

/**
 * Validates every row, reports every problem at once with its line, and writes all rows in
 * one transaction, or none. Re-importing the same rows changes nothing (and audits nothing).
 */
export function importRows(rows: readonly SourceRow[], services: Services, options: ImportOptions): ImportReport {
  const issues = new IssueList();
  const warnings = new IssueList();
  let rejectedRows = 0;
  const valid: { row: SourceRow; fields: SecretFields }[] = [];
  const firstLine = new Map<string, number>();
  const now = services.clock.now();
  for (const row of rows) {
    const rowIssues: ValidationIssue[] = [...(row.problems ?? [])];
    if (options.partial) for (const warning of row.warnings ?? []) warnings.add(warning);
    else rowIssues.push(...(row.warnings ?? []));
    const { fields, issues: fieldIssues } = parseSecretFields(row.record, services.policy, services.stores, now);
    for (const issue of fieldIssues) {
      const line = row.fieldLines?.[fieldKey(issue.where)] ?? row.line;
      rowIssues.push({ where: `line ${line}, ${issue.where}`, message: issue.message, line });
    }
    if (fields) {
      const seen = firstLine.get(fields.name);
      if (seen !== undefined)
        rowIssues.push({
          where: `line ${row.line}, name`,
          message: `\`${fields.name}\` appears more than once (first on line ${seen})`,
          line: row.line,
        });
      else firstLine.set(fields.name, row.line);
    }
    if (rowIssues.length > 0 || !fields) {
      for (const issue of rowIssues) issues.add(issue);
      rejectedRows += 1;
    } else valid.push({ row, fields });
  }
  const plan = services.inventoryService.plan(valid.map(({ fields }) => fields));
  const rejectedIndexes = new Set(plan.issues.map((issue) => issue.index));
  rejectedRows += rejectedIndexes.size;
  for (const issue of plan.issues) {
    const line = valid[issue.index]?.row.line ?? 0;
    issues.add({ where: `line ${line}, ${issue.field}`, message: issue.message, line });
  }
  const found = issues.sorted();
  const unlisted = issues.unlisted + warnings.unlisted;
  if (found.length > 0 && !options.partial) {
    throw new ValidationError(
      `Nothing was imported: ${rejectedRows} of ${rows.length} rows have problems. Fix them (or pass --partial to import only the valid rows).`,
      withUnlisted(found, issues.unlisted),
    );
  }
  const changes =
    rejectedIndexes.size === 0
      ? plan.changes
      : services.inventoryService.plan(valid.filter((_, index) => !rejectedIndexes.has(index)).map(({ fields }) => fields)).changes;
  if (options.partial && changes.length === 0 && found.length > 0) {
    throw new ValidationError(
      `Nothing was imported: every one of the ${rows.length} rows has problems.`,
      withUnlisted(found, issues.unlisted),
    );
  }
  const report = { changes, rejected: found, rejectedRows, warnings: warnings.sorted(), unlisted };
  if (options.dryRun) return { ...report, written: false };
  services.inventoryService.apply(changes, options.actor, options.source);
  return { ...report, written: true };
}

function withUnlisted(issues: ValidationIssue[], unlisted: number): ValidationIssue[] {
  return unlisted > 0
    ? [...issues, { where: '…', message: `and ${unlisted} more problems not listed; fix these and import again to see the rest` }]
    : issues;
}

export function importFile(path: string, services: Services, options: ImportOptions): ImportReport {
  const { format, text } = readImportFile(path);
  return importRows(parseRows(format, text, services), services, options);
}

/** `owner` from "owner", the field part of a `where` such as "provider_ref". */
function fieldKey(where: string): string {
  return where.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}
