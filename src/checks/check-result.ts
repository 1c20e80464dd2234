/**
 * One run of one automated check, as it is kept on the rotation step and printed in the evidence:
 * what was checked, where, the outcome, how long it took and when. It names places and answers
 * (a status code, a timeout), never a value.
 */
export interface CheckResult {
  what: string;
  where: string;
  outcome: 'passed' | 'failed';
  /** From sending the request (or the login) to its answer; null when none came. */
  latencyMs: number | null;
  /** ISO instant the check ran at (the step's run). */
  at: string;
  /** Why it failed, or what it saw: `answered 200`, `no answer within 5 s`. */
  detail: string;
  /** Which attempt of the step ran it (1 for the first run, 2 for the first retry…). */
  attempt: number;
  /** The step that ran it: at the target before promotion, or after promotion. */
  step: string;
}

/** The results kept on a step's result, read back without trusting their shape. */
export function checkResultsOf(result: Record<string, unknown> | null | undefined): CheckResult[] {
  const list = result?.automatedChecks;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (entry): entry is CheckResult =>
      typeof entry === 'object' &&
      entry !== null &&
      typeof (entry as CheckResult).what === 'string' &&
      typeof (entry as CheckResult).where === 'string' &&
      ((entry as CheckResult).outcome === 'passed' || (entry as CheckResult).outcome === 'failed'),
  );
}

/** A step whose last run's automated checks failed: it may be retried, rolled forward (skipped with a reason) or rolled back. */
export function checksFailed(result: Record<string, unknown> | null | undefined): boolean {
  return result?.checksFailed === true;
}
