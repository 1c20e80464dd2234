const SEGMENT = /^[a-z0-9](?:[a-z0-9_.-]{0,62}[a-z0-9])?$/;
const SEGMENT_LABELS = ['environment', 'service', 'credential type'] as const;
const EXAMPLE = 'prod/postgres/connection_string';

/**
 * Checks a name against `{environment}/{service}/{credential_type}` and says exactly what is
 * wrong, because the person typing it needs to know what to type instead. Returns the
 * problem, or null when the name is good.
 */
export function findNameProblem(name: string, environments: readonly string[]): string | null {
  if (name.trim() === '') return `A secret name is required, like \`${EXAMPLE}\`.`;
  if (/\s/.test(name)) return `\`${name}\` contains spaces; use \`_\` or \`-\` inside a segment, like \`${EXAMPLE}\`.`;
  if (name !== name.toLowerCase()) return `\`${name}\` has upper-case letters; names are lower-case: \`${name.toLowerCase()}\`.`;
  const segments = name.split('/');
  if (segments.length !== 3) {
    return `\`${name}\` has ${segments.length} segment${segments.length === 1 ? '' : 's'}; a name has exactly three: {environment}/{service}/{credential_type}, like \`${EXAMPLE}\`.`;
  }
  for (const [index, segment] of segments.entries()) {
    const label = SEGMENT_LABELS[index];
    if (segment === '') return `\`${name}\` has an empty ${label}; like \`${EXAMPLE}\`.`;
    if (!SEGMENT.test(segment)) {
      return `The ${label} \`${segment}\` in \`${name}\` may only use a-z, 0-9, \`_\`, \`-\` and \`.\`, starting and ending with a letter or digit.`;
    }
  }
  const environment = segments[0] as string;
  if (!environments.includes(environment)) {
    return `\`${environment}\` is not a known environment; use one of: ${environments.join(', ')}.`;
  }
  return null;
}
