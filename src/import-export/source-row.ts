import type { ValidationIssue } from '../core/errors.js';

/** One row of an import file, before validation, with where it came from. */
export interface SourceRow {
  line: number;
  /** Keys as SecretFields names (see canonicalRecord); values as the file gave them. */
  record: Record<string, unknown>;
  /** The line of each field, where the format knows it (YAML and JSON do). */
  fieldLines?: Record<string, number>;
  /** What is wrong with the row's shape (not a mapping, unknown fields), found while reading it. */
  problems?: ValidationIssue[];
  /** What makes a field unusable without making the row wrong: an error, or a warning with `--partial`. */
  warnings?: ValidationIssue[];
}

export type ImportFormat = 'yaml' | 'json' | 'csv' | 'tsv' | 'markdown';
