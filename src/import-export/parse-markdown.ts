import type { Policy } from '../config/policy.js';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import { FIELD_ALIASES, normalizeKey } from '../inventory/secret-fields.js';
import { MAX_COLUMNS } from './column-names.js';
import { findMarkdownTables, type MarkdownTable } from './markdown-tables.js';
import type { SourceRow } from './source-row.js';

/** Environment column headers of a registry's environment matrix. */
const ENVIRONMENT_WORDS: Record<string, string> = {
  prod: 'prod',
  production: 'prod',
  live: 'prod',
  stage: 'staging',
  staging: 'staging',
  dev: 'dev',
  development: 'dev',
};

/** Matrix cells that mean "this environment has no such secret". */
const ABSENT = /^(?:|-|—|no|none|n\/a|optional|not used|\[?tbd\]?)$/i;
/** Matrix cells that add nothing beyond "present". */
const PLAIN_YES = /^(?:yes|y|✓|✅|x)$/i;

function unquote(cell: string): string {
  return cell.replace(/^`(.*)`$/, '$1').trim();
}

/**
 * Each column's inventory field, by the same spellings the other formats accept; a column that
 * names no field ("Notes", a phone number) is informative and ignored.
 */
function columnsOf(table: MarkdownTable): (string | undefined)[] {
  return table.header.map((column) => FIELD_ALIASES[normalizeKey(column)]);
}

function isInventoryTable(table: MarkdownTable): boolean {
  return columnsOf(table).includes('name');
}

/**
 * The environment a matrix column stands for, in the policy's own words: a policy that says
 * `production` gets the registry's "Prod" column. A column the policy has no environment for
 * keeps its usual name, so its rows are reported as an unknown environment, not dropped.
 */
function environmentOfColumn(column: string, policy: Policy): string | undefined {
  const word = normalizeKey(column);
  if (policy.environments.includes(word)) return word;
  const canonical = ENVIRONMENT_WORDS[word];
  if (!canonical) return undefined;
  return policy.environments.find((environment) => ENVIRONMENT_WORDS[environment] === canonical) ?? canonical;
}

function isEnvironmentMatrix(table: MarkdownTable, policy: Policy): boolean {
  return (
    normalizeKey(table.header[0] ?? '') === 'secret_key' ||
    table.header.slice(1).filter((column) => environmentOfColumn(column, policy)).length >= 2
  );
}

/**
 * Rows from the Markdown tables of a file. Inventory tables name full secrets
 * (`prod/openai/api_key`); a registry names keys without an environment (`db/app-primary`),
 * which expand over its environment matrix (or, without one, over every environment).
 */
export function parseMarkdownRows(text: string, policy: Policy): SourceRow[] {
  const tables = findMarkdownTables(text);
  if (tables.length === 0) {
    throw new ValidationError('The Markdown file has no table.', [
      { where: 'file', message: 'expected a table with a "Secret Name" or "Key" column' },
    ]);
  }
  const matrix = tables.find((table) => isEnvironmentMatrix(table, policy));
  const inventoryTables = tables.filter((table) => table !== matrix && isInventoryTable(table));
  if (inventoryTables.length === 0) {
    throw new ValidationError('The Markdown file has no inventory table.', [
      { where: `line ${tables[0]?.headerLine ?? 1}`, message: 'no table has a "Secret Name" or "Key" column', line: tables[0]?.headerLine },
    ]);
  }
  const wide = inventoryTables.find((table) => table.header.length > MAX_COLUMNS);
  if (wide) {
    throw new ValidationError('The Markdown inventory table is not one Rotor can import.', [
      {
        where: `line ${wide.headerLine}`,
        message: `the table has ${wide.header.length} columns; an inventory has at most ${MAX_COLUMNS}`,
        line: wide.headerLine,
      },
    ]);
  }
  const rows: SourceRow[] = [];
  for (const table of inventoryTables) {
    const fields = columnsOf(table);
    const slackColumn = table.header.some((column) => normalizeKey(column) === 'slack');
    for (const { line, cells } of table.rows) {
      const record: Record<string, unknown> = {};
      const ownerCells: OwnerCell[] = [];
      fields.forEach((field, index) => {
        const cell = unquote(cells[index] ?? '');
        if (!field || cell === '') return;
        if (field === 'owner') ownerCells.push({ column: table.header[index] ?? '', cell });
        else record[field] = cell;
      });
      const warnings = readOwner(ownerCells, slackColumn, record, line);
      const name = String(record.name ?? '');
      if (name.split('/').length === 2)
        rows.push(...expandOverEnvironments(record, line, matrix, policy).map((row) => ({ ...row, warnings })));
      else rows.push({ line, record, warnings });
    }
  }
  return rows;
}

interface OwnerCell {
  column: string;
  cell: string;
}

/** A cell that names a member id: `U0123ABCD`, `@U0123ABCD`, `<@U0123ABCD>` or `<@U0123ABCD|olivia>`. */
const MEMBER_ID = /^<?@?[UW][A-Z0-9]{2,}/;
/** Cells that say "not known yet". */
const NOT_YET = /^(?:@?\[?tbd\]?|n\/a|unknown|none|-|—|\?)$/i;

/**
 * "Owner" often holds a person's name and "Slack" their handle or member id: the cell with a
 * member id sets the owner, a name is kept as the `owner_name` tag. When no cell gives a member
 * id, a filled-in Slack cell (or the Owner cell of a table without one) is reported with its line:
 * a handle such as `@olivia` cannot be turned into a member id offline.
 */
function readOwner(cells: readonly OwnerCell[], slackColumn: boolean, record: Record<string, unknown>, line: number): ValidationIssue[] {
  const withId = cells.find(({ cell }) => MEMBER_ID.test(cell));
  if (withId) record.owner = withId.cell;
  const names = cells.filter((owner) => owner !== withId && !NOT_YET.test(owner.cell) && !MEMBER_ID.test(owner.cell));
  const name = names.find((owner) => normalizeKey(owner.column) !== 'slack') ?? names[0];
  if (name) record.tags = { ...(record.tags as object), owner_name: name.cell };
  if (withId) return [];
  const unusable = names.filter((owner) => !slackColumn || normalizeKey(owner.column) === 'slack');
  return unusable.map((owner) => ({
    where: `line ${line}, owner`,
    message: `${owner.column} \`${owner.cell}\` is not a Slack member id, so the secret would have no owner; write the member id (Slack profile → ⋮ → Copy member ID, like U0123ABCD) or a mention such as <@U0123ABCD> in the ${slackColumn ? 'Slack' : owner.column} column`,
    line,
  }));
}

function expandOverEnvironments(
  record: Record<string, unknown>,
  line: number,
  matrix: MarkdownTable | undefined,
  policy: Policy,
): SourceRow[] {
  const key = String(record.name);
  const matrixRow = matrix?.rows.find(({ cells }) => keyMatches(unquote(cells[0] ?? ''), key));
  if (!matrix || !matrixRow)
    return policy.environments.map((environment) => ({ line, record: { ...record, name: `${environment}/${key}` } }));
  const expanded: SourceRow[] = [];
  matrix.header.forEach((column, index) => {
    const environment = environmentOfColumn(column, policy);
    if (index === 0 || !environment) return;
    const cell = (matrixRow.cells[index] ?? '').trim();
    if (ABSENT.test(unquote(cell))) return;
    // "`dev/db/app-primary` (lower privileges, sample data)": the note is what is said besides the name.
    const said = cell
      .replace(/`[^`]*`/g, '')
      .replace(/[()]/g, '')
      .trim();
    const note = said === '' || PLAIN_YES.test(said) ? null : said;
    const tags = note ? { ...(record.tags as object), environment_note: note } : record.tags;
    expanded.push({ line, record: { ...record, name: `${environment}/${key}`, ...(tags ? { tags } : {}) } });
  });
  return expanded;
}

/** `payments/*` in a matrix covers `payments/stripe` and `payments/paypal`. */
function keyMatches(pattern: string, key: string): boolean {
  if (pattern.endsWith('/*')) return key.startsWith(pattern.slice(0, -1));
  return pattern === key;
}
