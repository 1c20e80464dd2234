import { TargetError } from '../target-error.js';

/**
 * A name as a PostgreSQL quoted identifier, as quote_ident does: in double quotes, inner double
 * quotes doubled. Role names are never bind parameters in DDL, so this is how they go in.
 */
export function quoteIdentifier(name: string): string {
  if (name.length === 0 || name.includes('\u0000'))
    throw new TargetError('bad_request', 'A PostgreSQL identifier must be non-empty and contain no NUL character.');
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Text as a PostgreSQL string literal, as quote_literal does: single quotes doubled, and an E''
 * literal with doubled backslashes when there is a backslash, so the result means the same text
 * whatever standard_conforming_strings is. `ALTER ROLE … PASSWORD` takes no bind parameter.
 */
export function quoteLiteral(text: string): string {
  if (text.includes('\u0000')) throw new TargetError('bad_request', 'A PostgreSQL string literal cannot contain a NUL character.');
  const quoted = `'${text.replace(/'/g, "''").replace(/\\/g, '\\\\')}'`;
  return text.includes('\\') ? `E${quoted}` : quoted;
}
