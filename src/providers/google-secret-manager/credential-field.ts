import { RotorError } from '../../core/errors.js';

/** The field of a JSON secret that holds the credential, when the policy names none. */
export const DEFAULT_CREDENTIAL_FIELD = 'password';

/**
 * The value of a new version: when the current one is a JSON object (a connection's host,
 * port, username and password), the same object with only the credential field changed,
 * keys in their order and the same indentation; otherwise the new credential alone. A JSON
 * object without that field, or with a non-string one, is refused rather than guessed at.
 */
export function replaceCredential(secretName: string, current: string | null, credential: string, field: string = DEFAULT_CREDENTIAL_FIELD): string {
  const object = current === null ? null : jsonObjectOf(current);
  if (object === null) return credential;
  if (!(field in object)) {
    const keys = Object.keys(object).join(', ');
    throw new RotorError(
      'validation',
      `The current value of ${secretName} is a JSON object without a "${field}" field (its fields: ${keys || 'none'}). Set the policy's credential field to the one that holds the credential, then try again.`,
    );
  }
  if (typeof object[field] !== 'string') {
    throw new RotorError('validation', `The "${field}" field of ${secretName}'s JSON value is not a string, so Rotor will not replace it. Set the policy's credential field to the one that holds the credential.`);
  }
  const indent = /^\{\s*\n([ \t]+)"/.exec(current as string)?.[1] ?? '';
  const trailing = /\n$/.test(current as string) ? '\n' : '';
  return `${JSON.stringify({ ...object, [field]: credential }, null, indent || undefined)}${trailing}`;
}

function jsonObjectOf(text: string): Record<string, unknown> | null {
  if (!text.trimStart().startsWith('{')) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
