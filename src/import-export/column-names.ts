import { closest, distance } from 'fastest-levenshtein';
import { FIELD_ALIASES, normalizeKey } from '../inventory/secret-fields.js';
import { INVENTORY_COLUMNS } from './export-inventory.js';

/** More columns than any inventory has fields (and aliases) by far: a header past this is not an inventory. */
export const MAX_COLUMNS = 100;

/** What to say about a column or field Rotor does not read: the closest name it does, and all it accepts. */
export function unknownColumnMessage(kind: 'column' | 'field', key: string): string {
  const normalized = normalizeKey(key);
  const known = Object.keys(FIELD_ALIASES);
  const nearest = normalized === '' ? null : closest(normalized, known);
  const hint =
    nearest && distance(normalized, nearest) <= Math.max(2, Math.floor(normalized.length / 3)) ? ` (did you mean \`${nearest}\`?)` : '';
  return `unknown ${kind} \`${key.slice(0, 80)}\`${hint}; Rotor reads ${INVENTORY_COLUMNS.join(', ')}`;
}
