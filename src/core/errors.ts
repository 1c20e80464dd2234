import { slashCommandOf, withNextStep, type NextStep, type NextStepWords } from './next-step.js';

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

export interface RotorErrorOptions {
  cause?: unknown;
  /** What the person can do next, rendered by each surface (core/next-step.ts); `message` then says only what went wrong. */
  next?: NextStep;
}

export class RotorError extends Error {
  readonly code: ErrorCode;
  /** What went wrong, without the next step; `message` adds the step in Slack's words (core/next-step.ts). */
  readonly brief: string;
  readonly next: NextStep | null;

  constructor(code: ErrorCode, message: string, options?: RotorErrorOptions) {
    super(options?.next ? withNextStep(message, options.next, slashCommandOf) : message, options);
    this.name = 'RotorError';
    this.code = code;
    this.brief = message;
    this.next = options?.next ?? null;
  }

  /** The message with its next step in a surface's words (Slack: the slash command itself, or the button). */
  say(words: NextStepWords): string {
    return this.next ? withNextStep(this.brief, this.next, words) : this.message;
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

  constructor(message: string, issues: readonly ValidationIssue[], options?: RotorErrorOptions) {
    super('validation', message, options);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

export class NotFoundError extends RotorError {
  readonly suggestions: readonly string[];

  constructor(message: string, suggestions: readonly string[] = [], options?: RotorErrorOptions) {
    super('not_found', message, options);
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

/**
 * Renders an error for a person: the message, then one line per validation issue. A next step is
 * said in the surface's words (by default Slack's: the slash command, or the button).
 */
export function describeError(error: unknown, words: NextStepWords = slashCommandOf): string {
  const message = error instanceof RotorError ? error.say(words) : error instanceof Error ? error.message : String(error);
  if (error instanceof ValidationError && error.issues.length > 0) {
    const lines = error.issues.map((issue) => `  ${issue.where}: ${issue.message}`);
    return [message, ...lines].join('\n');
  }
  if (error instanceof NotFoundError && error.suggestions.length > 0) {
    return `${message} Did you mean: ${error.suggestions.join(', ')}?`;
  }
  if (error instanceof Error) return message;
  return String(error);
}
