import { RotorError } from '../core/errors.js';
import type { FieldShape, ProviderTarget, ValuePlacement, ValueShape } from './secret-provider.js';

/**
 * Judging and keeping the shape of a stored value, inside a provider call: what leaves these
 * functions is a shape (names and kinds) or the new value to write, never the current one.
 */

const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** At least two `key=value` pairs separated by `;` or `&`: an ADO.NET / JDBC-style connection string or a query string. */
const KEY_VALUE_PAIRS = /^[A-Za-z_][\w.-]*=[^;&]*(?:[;&][A-Za-z_][\w.-]*=[^;&]*)+[;&]?$/;

/** The shape of a value stored as text (an AWS `SecretString`). */
export function shapeOfText(text: string): ValueShape {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[') || trimmed.startsWith('"')) {
    const parsed = parseJson(trimmed);
    if (isPlainObject(parsed)) return shapeOfFields(parsed);
    if (parsed === undefined) return { kind: 'other', what: 'text that starts like JSON but is not valid JSON' };
    return { kind: 'other', what: Array.isArray(parsed) ? 'a JSON array' : 'a JSON string' };
  }
  if (/\s/.test(text)) return { kind: 'other', what: 'text with spaces or several lines (such as a PEM key or a list)' };
  if (URL_LIKE.test(text)) return { kind: 'other', what: 'a URL or connection string' };
  if (KEY_VALUE_PAIRS.test(text)) return { kind: 'other', what: 'key=value pairs (a connection string)' };
  return { kind: 'string' };
}

/** The shape of named fields (a JSON object, a Vault secret's data). */
export function shapeOfFields(data: Record<string, unknown>): ValueShape {
  return { kind: 'fields', fields: Object.entries(data).map(([name, value]) => ({ name, holds: holdsOf(value) })) };
}

function holdsOf(value: unknown): FieldShape['holds'] {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const kind = typeof value;
  if (kind === 'string' || kind === 'number' || kind === 'boolean') return kind;
  return 'object';
}

/**
 * The text of the new version: the generated value in place of a plain string, or in place of
 * one field of a JSON object, every other key kept as it was (in its order). Refuses a value
 * that does not have the shape the placement expects (it changed since the preflight).
 */
export function placeInText(target: ProviderTarget, current: string, placement: ValuePlacement | undefined, generated: string): string {
  if (placement?.kind === 'whole') return generated;
  const shape = shapeOfText(current);
  if (!placement) {
    if (shape.kind === 'string') return generated;
    throw shapeChanged(target, `holds ${shape.kind === 'fields' ? 'a JSON object' : shape.what}, not a plain string`);
  }
  const parsed = shape.kind === 'fields' ? parseJson(current.trim()) : undefined;
  if (!isPlainObject(parsed)) throw shapeChanged(target, `is not a JSON object, so it has no \`${placement.field}\` field`);
  const indent = current.includes('\n') ? 2 : undefined;
  return JSON.stringify(placeInFields(target, parsed, placement.field, generated, placement.alongside), null, indent);
}

/** The data of the new version: `field` holds the generated value, every other field is kept. */
export function placeInFields(
  target: ProviderTarget,
  data: Record<string, unknown>,
  field: string,
  generated: string,
  alongside: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  // A secret with no data yet (metadata only) gets the field.
  if (Object.keys(data).length === 0) return { ...alongside, [field]: generated };
  for (const name of [field, ...Object.keys(alongside)]) {
    if (!Object.hasOwn(data, name)) throw shapeChanged(target, `has no \`${name}\` field (its fields: ${fieldNames(Object.keys(data))})`);
    if (typeof data[name] !== 'string') throw shapeChanged(target, `holds ${article(holdsOf(data[name]))} in \`${name}\`, not a string`);
  }
  return { ...data, ...alongside, [field]: generated };
}

/** Field names as messages show them: at most ten, each cut to 40 characters. */
export function fieldNames(names: readonly string[]): string {
  const shown = names.slice(0, 10).map((name) => (name.length > 40 ? `${name.slice(0, 39)}…` : name));
  return `${shown.join(', ')}${names.length > shown.length ? `, and ${names.length - shown.length} more` : ''}`;
}

export function article(holds: FieldShape['holds']): string {
  return holds === 'null' ? 'null' : `${holds === 'object' || holds === 'array' ? 'an' : 'a'} ${holds}`;
}

function shapeChanged(target: ProviderTarget, problem: string): RotorError {
  return new RotorError(
    'conflict',
    `The current value of ${target.secretName} ${problem}, so Rotor wrote nothing: a generated value keeps the shape of the current one.`,
    {
      next: {
        kind: 'run_command',
        command: 'rotate',
        args: [target.secretName],
        lead: 'run',
        purpose: 'again to see what the preflight says',
      },
    },
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
