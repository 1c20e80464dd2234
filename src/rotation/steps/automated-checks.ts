import { checkResultsOf, type CheckResult } from '../../checks/check-result.js';
import { runChecks } from '../../checks/check-runner.js';
import { RotorError, ValidationError } from '../../core/errors.js';
import type { LoginCredential } from '../../targets/credential-target.js';
import { storeBindingOf } from '../rotation.js';
import type { RotationChange } from '../rotation-repo.js';
import { PartialStepError, passwordFieldOf, requireNewVersion, type StepExecutorDeps, type StepRun } from './step-executor.js';

/**
 * The policy's automated checks (src/checks), run by a verify step with the rotation's new
 * version: every result, with those of the step's earlier attempts, is kept on the step. Any
 * failure stops the step (the rotation cannot complete) with what the person may do: run it
 * again, roll forward past it with a reason, or roll back.
 */
export async function runAutomatedChecks(
  run: StepRun,
  deps: StepExecutorDeps,
  change: RotationChange,
): Promise<{ automatedChecks?: CheckResult[] }> {
  const specs = deps.checks(run.record);
  if (specs.length === 0) return {};
  const bound = storeBindingOf(run.record.rotation);
  const versionId = requireNewVersion(run.record);
  const field = passwordFieldOf(run.record);
  const results = await runChecks(specs, {
    at: run.now,
    attempt: run.step.attempts + 1,
    step: run.step.id,
    withLogin: (use) =>
      deps.operations.lendValue(bound, versionId, (text) => use(loginIn(text, field, `Version ${versionId} of ${bound.name}`))),
    verifyLogin: (target, credential) => deps.targets.engine(target).verifyLogin(target, credential),
  });
  const automatedChecks = [...checkResultsOf(run.step.result), ...results];
  const failed = results.filter((result) => result.outcome === 'failed');
  if (failed.length === 0) return { automatedChecks };
  throw new ChecksFailedError(change, { automatedChecks, checksFailed: true }, failed, results.length);
}

/**
 * Automated checks failed: the step stays to do, its results kept on it (with what the step did
 * before them, `change`), and the message says what each failure was and what may be done.
 */
export class ChecksFailedError extends PartialStepError {
  constructor(
    change: RotationChange,
    readonly result: Record<string, unknown>,
    failed: readonly CheckResult[],
    of: number,
  ) {
    super(
      change,
      new RotorError(
        'provider',
        `${failed.length} of ${of} automated check${of === 1 ? '' : 's'} failed: ${failed.map((check) => `${check.what} at ${check.where}: ${check.detail}`).join('; ')}. The rotation cannot complete until it passes: try again once it is fixed, roll forward (keep the new version and record why), or roll back.`,
      ),
    );
    this.name = 'ChecksFailedError';
  }
}

/** The login a version names for a database or Redis check: its `username` and its password field. */
function loginIn(text: string, passwordField: string, what: string): LoginCredential {
  let fields: unknown;
  try {
    fields = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which is the secret: not kept.
    fields = undefined;
  }
  const record = typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? (fields as Record<string, unknown>) : null;
  const username = record?.username;
  const password = record?.[passwordField];
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '')
    throw new ValidationError(`${what} is not a JSON object with username and ${passwordField}, so a login check cannot log in with it.`, [
      { where: 'value', message: `expected a JSON object with username and ${passwordField}` },
    ]);
  return { username, password };
}
