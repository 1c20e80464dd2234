import { ValidationError, type ValidationIssue } from '../core/errors.js';

/** Lines a command lists before summing up the rest, unless asked for all with --verbose. */
export const OUTPUT_LINES = 50;

/** The first OUTPUT_LINES lines and a count of the rest, or every line with `verbose`. */
export function capLines(lines: readonly string[], verbose: boolean | undefined, what = 'lines'): string[] {
  if (verbose || lines.length <= OUTPUT_LINES) return [...lines];
  return [
    ...lines.slice(0, OUTPUT_LINES),
    `  … and ${lines.length - OUTPUT_LINES} more ${what} (run again with --verbose to see them all)`,
  ];
}

/** The same error listing at most OUTPUT_LINES of its issues, unless `verbose`. */
export function capIssues(error: ValidationError, verbose: boolean | undefined): ValidationError {
  if (verbose || error.issues.length <= OUTPUT_LINES) return error;
  const rest: ValidationIssue = {
    where: '…',
    message: `and ${error.issues.length - OUTPUT_LINES} more problems (run again with --verbose to see them all)`,
  };
  return new ValidationError(error.message, [...error.issues.slice(0, OUTPUT_LINES), rest], { cause: error });
}
