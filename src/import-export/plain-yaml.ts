import { mappingRow, type KeyAt } from './mapping-row.js';
import type { SourceRow } from './source-row.js';

/**
 * The rows parseYamlRows(text, 'yaml') returns, for the YAML inventories are usually kept in and
 * exported to: a list of flat mappings of plain one-line scalars (`- name: prod/a/key`,
 * `  owner: U0123`), optionally under `secrets:`, with blank and comment lines between. Read line
 * by line, 100,000 secrets take a fraction of a second instead of the YAML parser's syntax tree
 * (about 8 s). Null for anything else (quotes, nested lists or maps, anchors, multi-line or
 * commented values, tabs, directives, a repeated key, …): the YAML reader then reads it, and
 * words its errors, as it always has.
 */
export function plainYamlRows(text: string): SourceRow[] | null {
  if (UNSAFE_TEXT.test(text)) return null;
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.some((line) => line.includes('\r'))) return null;
  let index = lines.findIndex((line) => !isFiller(line));
  if (index === -1) return null;
  const underSecrets = SECRETS_KEY.test(lines[index] as string);
  if (underSecrets) index = lines.findIndex((line, at) => at > index && !isFiller(line));
  const dashColumn = index === -1 ? -1 : (/^( *)- /.exec(lines[index] as string)?.[1]?.length ?? -1);
  if (dashColumn < 0 || (!underSecrets && dashColumn !== 0)) return null;
  const itemPrefix = `${' '.repeat(dashColumn)}- `;
  const keyColumn = dashColumn + 2;
  const keyPrefix = ' '.repeat(keyColumn);

  const rows: SourceRow[] = [];
  let item: { line: number; value: Record<string, unknown>; keys: KeyAt[] } | null = null;
  const finish = () => {
    if (item) rows.push(mappingRow(item.value, item.line, item.keys));
  };
  for (; index < lines.length; index += 1) {
    const line = lines[index] as string;
    if (isFiller(line)) continue;
    let body: string;
    if (line.startsWith(itemPrefix) && line[keyColumn] !== ' ') {
      finish();
      item = { line: index + 1, value: {}, keys: [] };
      body = line.slice(keyColumn);
    } else if (item && line.startsWith(keyPrefix) && line[keyColumn] !== ' ') body = line.slice(keyColumn);
    else return null;
    const pair = plainPair(body);
    if (!pair || Object.hasOwn(item.value, pair.key)) return null;
    item.value[pair.key] = pair.value;
    item.keys.push({ key: pair.key, line: index + 1 });
  }
  finish();
  return rows.length > 0 ? rows : null;
}

/** Text the line reader leaves to the YAML parser: tabs, controls, BOMs, Unicode line separators, directives and document markers. */
const UNSAFE_TEXT = /[\t\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|^(?:%|---|\.\.\.)/m;
const SECRETS_KEY = /^secrets: *$/;
const FILLER = /^ *(?:#.*)?$/;
/** Keys as people write them (`name`, `backup_owner`, `Secret Name`, `backup-owner`): plain words, nothing YAML reads as another type. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*(?:[ -][A-Za-z0-9_]+)*$/;
const NON_STRING_KEY = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE|[Nn]ull|NULL)$/;
/** A plain scalar cannot start with an indicator, and `- ` would open a nested list. */
const INDICATOR_START = /^(?:[?:,[\]{}#&*!|>'"%@`]|-(?: |$))/;

function isFiller(line: string): boolean {
  return FILLER.test(line);
}

function plainPair(body: string): { key: string; value: unknown } | null {
  const colon = body.indexOf(':');
  if (colon <= 0) return null;
  const key = body.slice(0, colon);
  const rest = body.slice(colon + 1);
  if (
    (rest !== '' && !rest.startsWith(' ')) ||
    key.length > 1000 ||
    !PLAIN_KEY.test(key) ||
    NON_STRING_KEY.test(key) ||
    key === '__proto__'
  )
    return null;
  const scalar = rest.replace(/^ +| +$/g, '');
  if (INDICATOR_START.test(scalar) || scalar.includes(' #') || scalar.includes(': ') || scalar.endsWith(':')) return null;
  return { key, value: coreSchemaValue(scalar) };
}

/** A plain scalar's value under YAML 1.2's core schema, tested in the order the yaml package tests its tags. */
function coreSchemaValue(scalar: string): unknown {
  if (/^(?:~|[Nn]ull|NULL)?$/.test(scalar)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(scalar)) return scalar[0] === 't' || scalar[0] === 'T';
  if (/^0o[0-7]+$/.test(scalar)) return parseInt(scalar.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(scalar)) return parseInt(scalar, 10);
  if (/^0x[0-9a-fA-F]+$/.test(scalar)) return parseInt(scalar.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(scalar)) {
    return scalar.slice(-3).toLowerCase() === 'nan' ? NaN : scalar[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(scalar) || /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(scalar))
    return parseFloat(scalar);
  return scalar;
}
