/**
 * One error vocabulary for the whole of Rotor. Every error a person can see carries a
 * stable code, a message that says what was wrong and what to do instead, and the
 * underlying cause (never shown to users, always logged).
 */
export type ErrorCode =
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'config'
  | 'database'
  | 'provider'
  | 'provider_unavailable'
  | 'slack'
  | 'internal';

export interface ValidationIssue {
  /** Where the problem is: a field name, a key path, or a file location such as `line 12`. */
  where: string;
  message: string;
  line?: number;
}

export class RotorError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RotorError';
    this.code = code;
  }

  /** Process exit code for the CLI: 2 for the caller's mistakes, 1 for runtime failures. */
  get exitCode(): 1 | 2 {
    return isUsageCode(this.code) ? 2 : 1;
  }
}

/** A write to a store whose answer never came (a timeout): the store may or may not have done it. */
export class OutcomeUnknownError extends RotorError {}

/** Whether a provider action (as its error messages name it) writes to the store. */
export function isWritingAction(action: string): boolean {
  return /^(write|move|start|remove|delete|destroy|undelete)\b/.test(action);
}

function isUsageCode(code: ErrorCode): boolean {
  return code === 'validation' || code === 'not_found' || code === 'conflict' || code === 'forbidden' || code === 'config';
}

/** A validation failure that lists every problem found, not just the first. */
export class ValidationError extends RotorError {
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    super('validation', message, options);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

export class NotFoundError extends RotorError {
  readonly suggestions: readonly string[];

  constructor(message: string, suggestions: readonly string[] = []) {
    super('not_found', message);
    this.name = 'NotFoundError';
    this.suggestions = suggestions;
  }
}

/**
 * A row refused by a unique index: what a repository raises instead of the driver's error, so a
 * service tells two people pressing at once apart from a failure without knowing the database's codes.
 */
export class UniqueConflictError extends Error {
  constructor(
    /** What already exists, in a few words: `an open rotation of the secret`. */
    readonly what: string,
    cause: unknown,
  ) {
    super(`There is already ${what}.`, { cause });
    this.name = 'UniqueConflictError';
  }
}

export function isRotorError(error: unknown): error is RotorError {
  return error instanceof RotorError;
}

/** Renders an error for a person: the message, then one line per validation issue. */
export function describeError(error: unknown): string {
  if (error instanceof ValidationError && error.issues.length > 0) {
    const lines = error.issues.map((issue) => `  ${issue.where}: ${issue.message}`);
    return [error.message, ...lines].join('\n');
  }
  if (error instanceof NotFoundError && error.suggestions.length > 0) {
    return `${error.message} Did you mean: ${error.suggestions.join(', ')}?`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
