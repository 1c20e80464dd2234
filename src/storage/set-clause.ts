/**
 * The SET assignments and named parameters of a partial change, through a field → column map:
 * fields left undefined are not touched, objects are stored as JSON, and the column names come
 * from the map (the change's type allows only its keys), so the SQL is built from constants.
 */
export function setClause<K extends string>(
  change: Partial<Record<K, unknown>>,
  columns: Readonly<Record<K, string>>,
): { sets: string[]; params: Record<string, string | number | null> } {
  const entries = (Object.entries(change) as [K, unknown][]).filter(([, value]) => value !== undefined);
  return {
    sets: entries.map(([key]) => `${columns[key]} = @${key}`),
    params: Object.fromEntries(entries.map(([key, value]) => [key, columnValue(value)])),
  };
}

function columnValue(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') return JSON.stringify(value);
  return value as string | number;
}
