import { newRequestToken } from './request-token.js';
import type { DateTime } from 'luxon';
import { actorId, type Actor } from '../../access/actor.js';
import { isoInstant as iso } from '../../core/clock.js';
import { describeError, RotorError, ValidationError } from '../../core/errors.js';
import { sayHint } from '../../core/next-step.js';
import type { FollowUpRequest } from '../../follow-ups/follow-up.js';
import type { WriteIntent } from '../../providers/secret-provider.js';
import { OPEN_STATES, storeBindingOf, type RotationRecord, type RotationStep } from '../rotation.js';
import { isPastLease, leaseEnd } from './step-lease.js';
import { isOutcomeUnknown, outcomeUnknownError, withoutLostOutcome } from '../unknown-outcome.js';
import { STEP_EXECUTORS } from './step-executors.js';
import {
  NotYet,
  PartialStepError,
  requestTokenOf,
  type StepExecutorDeps,
  type StepFinding,
  type StepOutcome,
  type StepRun,
} from './step-executor.js';
import { requireNotApprover, requireOpen, stepFor } from '../rotation-rules.js';
import { targetAccessOf } from './target-access.js';
import { checksFor } from '../../checks/policy-checks.js';
import { ChecksFailedError } from './automated-checks.js';
import type { RotationServiceDeps } from '../rotation-deps.js';
import { StaleRotationError } from '../rotation-errors.js';
import { stepErrorOf } from '../step-error.js';
import type { RotationQueries } from '../rotation-queries.js';
import type { RotationTransitions } from '../rotation-transitions.js';
import type { RotationFollowUpPlan } from '../rotation-follow-up-plan.js';

/**
 * Runs a rotation's provider steps by their executors (steps/step-executors.ts): the step is
 * marked running, the executor is called outside the transaction, and its outcome (or failure,
 * with what to do) is recorded after. A run left behind past its lease is settled by what the
 * store shows, through the executor's `inspect`.
 */
export class StepRunner {
  constructor(
    private readonly deps: RotationServiceDeps,
    private readonly queries: RotationQueries,
    private readonly writer: RotationTransitions,
    private readonly plan: RotationFollowUpPlan,
  ) {}

  /**
   * Runs the current provider step. The step is marked running (so a second click is told to
   * wait) and `onStarted` is told, then the provider is called; its outcome is recorded, or its
   * failure is kept on the step (with what to do) so it can simply be run again.
   */
  async runStep(
    actor: Actor,
    id: number,
    stepId: string,
    input: { expectedVersion: number; onStarted?: (record: RotationRecord) => Promise<void> | void },
  ): Promise<{ record: RotationRecord; error: RotorError | null }> {
    const record = this.queries.authorized(actor, id, input.expectedVersion);
    const candidate = record.steps.find((step) => step.id === stepId);
    const staleRun = candidate !== undefined && isPastLease(candidate, this.deps.clock.now());
    const by = actorId(actor);
    requireNotApprover(record, by);
    const step = stepFor(record, stepId, 'run', { runIsStale: staleRun });
    this.queries.requireWindowAllows(record, step);
    // The token is on the step before the call: whatever the call leaves at the store, a check (or an abandon) finds it by it.
    const requestToken = typeof step.result?.requestToken === 'string' ? step.result.requestToken : newRequestToken();
    const running = this.writer.transition(record, actor.kind === 'system' ? {} : { heldBy: by }, (now) => {
      // In the transaction that marks the step running: a revocation confirmed a moment ago has
      // marked the secret compromised, and the store must not move under it (see inFlightStep).
      if (record.rotation.kind === 'scheduled' && this.deps.inventory.get(record.rotation.secretName)?.lifecycle === 'compromised') {
        throw new RotorError(
          'conflict',
          `${record.rotation.secretName} was just revoked: its emergency rotation replaces this one, so “${step.title}” does not run. Follow the incident's status message.`,
        );
      }
      this.writer.changeStep(record, step, staleRun ? ['pending', 'running'] : ['pending'], {
        state: 'running',
        startedAt: now,
        attempts: step.attempts + 1,
        result: { ...withoutLostOutcome(step.result), requestToken },
      });
      // Durable: should this run die before its outcome is recorded, the store is asked once the lease is over.
      this.deps.followUps.schedule(
        this.plan.stepCheck(id, step.id, step.attempts + 1, iso((leaseEnd({ startedAt: now }) as DateTime).plus({ minutes: 1 }))),
      );
      return { events: [] };
    });
    await input.onStarted?.(running);
    let outcome: StepOutcome | NotYet;
    try {
      outcome = await this.perform({ actor, record: running, step, requestToken, now: this.writer.now() });
    } catch (error) {
      if (error instanceof NotYet) outcome = error;
      else {
        const failure =
          error instanceof RotorError
            ? error
            : new RotorError('provider', `“${step.title}” failed: ${describeError(error)}`, { cause: error });
        if (isOutcomeUnknown(step, error)) return this.leaveOutcomeUnknown(by, running, step, failure);
        const failed = this.writer.finishStep(running.rotation.id, step, (now) => {
          this.plan.scheduleRedrive(running, step, step.attempts + 1, now);
          return {
            stepChange: {
              state: 'pending',
              startedAt: null,
              ...stepErrorOf(failure),
              // Failed automated checks are kept on the step, as passed ones are: the evidence prints both.
              ...(error instanceof ChecksFailedError ? { result: { ...step.result, requestToken, ...error.result } } : {}),
            },
            ...(error instanceof PartialStepError ? { change: error.change } : {}),
            events: [
              {
                actor: by,
                action: 'rotation.step_failed',
                secret: record.rotation.secretName,
                details: {
                  rotation: id,
                  step: step.id,
                  action: step.action,
                  error: failure.message,
                  at: now,
                  ...(error instanceof ChecksFailedError ? checksFailedDetails(error) : {}),
                },
              },
            ],
          };
        });
        return { record: failed, error: failure };
      }
    }
    if (outcome instanceof NotYet) {
      const waiting = outcome;
      const updated = this.writer.finishStep(running.rotation.id, step, () => ({
        stepChange: { state: 'pending', startedAt: null, result: { ...waiting.result, requestToken }, lastError: null },
        change: waiting.change,
        events: [
          {
            actor: by,
            action: 'rotation.step_waiting',
            secret: record.rotation.secretName,
            details: { rotation: id, step: step.id, ...waiting.result },
          },
        ],
      }));
      return { record: updated, error: null };
    }
    const done = outcome;
    const finished = this.writer.finishStep(running.rotation.id, step, (now) => {
      for (const request of done.followUps ?? []) this.deps.followUps.schedule(request);
      return {
        stepChange: { state: 'done', doneBy: by, doneAt: now, result: { ...done.result, requestToken }, lastError: null },
        change: done.change,
        events: [
          {
            actor: by,
            action: 'rotation.step_done',
            secret: record.rotation.secretName,
            details: { rotation: id, step: step.id, position: step.position, title: step.title, action: step.action, ...done.result },
          },
        ],
      };
    });
    return { record: finished, error: null };
  }

  /** A write whose answer was lost: the step stays running, its outcome unknown until the store is asked (see unknown-outcome.ts). */
  private leaveOutcomeUnknown(
    by: string,
    running: RotationRecord,
    step: RotationStep,
    failure: RotorError,
  ): { record: RotationRecord; error: RotorError } {
    const unknown = outcomeUnknownError(step, failure);
    const left = this.writer.finishStep(running.rotation.id, step, () => ({
      stepChange: {
        result: {
          ...this.queries.get(running.rotation.id).steps.find((candidate) => candidate.id === step.id)?.result,
          outcomeUnknown: true,
        },
        ...stepErrorOf(unknown),
      },
      events: [
        {
          actor: by,
          action: 'rotation.step_outcome_unknown',
          secret: running.rotation.secretName,
          details: { rotation: running.rotation.id, step: step.id, action: step.action, error: failure.message },
        },
      ],
    }));
    return { record: left, error: unknown };
  }

  /**
   * "Check the store": a provider step left running past its lease is settled by what the store
   * shows. Done there: recorded as done. Not done: the step waits for its button again (an open
   * incident's disable step is run again at once). Something Rotor did not do: the step waits,
   * saying what the store shows and what the person may choose. A step that only reads the store
   * is simply run again. From the modal (a person, at the version they saw) or from the step's
   * follow-up (Rotor).
   */
  async checkStep(
    actor: Actor,
    id: number,
    stepId: string,
    input: { expectedVersion?: number } = {},
  ): Promise<{ record: RotationRecord; error: RotorError | null }> {
    const record = input.expectedVersion === undefined ? this.queries.get(id) : this.queries.authorized(actor, id, input.expectedVersion);
    if (input.expectedVersion === undefined) this.queries.rotatable(actor, record.rotation.secretName);
    requireOpen(record);
    const step = record.steps.find((candidate) => candidate.id === stepId);
    if (!step)
      throw new ValidationError(`This rotation of ${record.rotation.secretName} has no step \`${stepId}\``, [], {
        next: { kind: 'run_command', command: 'rotate', args: [record.rotation.secretName], lead: 'reopen it with' },
      });
    const now = this.deps.clock.now();
    if (step.state !== 'running')
      throw new RotorError('conflict', `“${step.title}” is not running (it is ${step.state}); there is nothing to check.`);
    if (!isPastLease(step, now)) {
      throw new RotorError(
        'conflict',
        `“${step.title}” is being done right now (started at ${step.startedAt ?? 'just now'}); if it is still running at ${iso(leaseEnd(step) as DateTime)}, check the store then.`,
      );
    }
    const by = actorId(actor);
    requireNotApprover(record, by);
    const bound = storeBindingOf(record.rotation);
    let finding: StepFinding;
    try {
      finding = await this.inspect({ actor, record, step, requestToken: requestTokenOf(step) ?? '', now: this.writer.now() });
      if (finding.kind === 'done' && finding.finish === 'promote' && record.rotation.newVersionId) {
        // The store made the new version current; what the interrupted promote left (a pending mark on it) is finished.
        await this.deps.operations.promote(
          bound,
          { newVersionId: record.rotation.newVersionId, expectedCurrentVersionId: record.rotation.newVersionId },
          actor,
        );
      }
    } catch (error) {
      const failure = error instanceof RotorError ? error : new RotorError('provider', describeError(error), { cause: error });
      return {
        record: this.queries.get(id),
        error: new RotorError(
          failure.code,
          `Could not ask the store what became of “${step.title}”: ${failure.message} The step stays as it is; check again in a minute.`,
          { cause: error },
        ),
      };
    }
    if (finding.kind === 'rerun') return this.runStep(actor, id, step.id, { expectedVersion: this.queries.get(id).rotation.version });
    const settled = this.writer.finishStep(id, step, (at) => {
      if (finding.kind === 'done') {
        return {
          stepChange: {
            state: 'done',
            doneBy: by,
            doneAt: at,
            result: { ...step.result, ...finding.result, reconciled: true },
            lastError: null,
          },
          change: finding.change,
          events: [
            {
              actor: by,
              action: 'rotation.step_done',
              secret: record.rotation.secretName,
              details: {
                rotation: id,
                step: step.id,
                position: step.position,
                title: step.title,
                action: step.action,
                reconciled: true,
                ...finding.result,
              },
            },
          ],
        };
      }
      this.plan.scheduleRedrive(record, step, step.attempts, at);
      // The audit event keeps the words Slack shows; the step keeps the next step as data beside the finding.
      const why = sayHint({ brief: finding.why, ...(finding.next ? { next: finding.next } : {}) });
      return {
        stepChange: { state: 'pending', startedAt: null, lastError: finding.why, lastErrorNext: finding.next ?? null },
        events: [
          {
            actor: by,
            action: 'rotation.step_reconciled',
            secret: record.rotation.secretName,
            details: { rotation: id, step: step.id, action: step.action, outcome: finding.kind, why },
          },
        ],
      };
    });
    const redrive = settled.steps.find((candidate) => candidate.id === step.id);
    if (redrive && this.plan.mustRedrive(settled, redrive))
      return this.runStep(actor, id, step.id, { expectedVersion: settled.rotation.version });
    return { record: settled, error: null };
  }

  /**
   * The step's follow-up, once its lease is over or a re-drive is due: settles the run if it is
   * still the one that scheduled it, and drives an open incident's disable step until it holds.
   * Returns the next check when one is needed.
   */
  async followUpStep(id: number, stepId: string, attempt: number, why: 'lease' | 'redrive'): Promise<FollowUpRequest[]> {
    const record = this.queries.find(id);
    const step = record?.steps.find((candidate) => candidate.id === stepId);
    if (!record || !step || !OPEN_STATES.includes(record.rotation.state)) return [];
    const actor: Actor = { kind: 'system' };
    let outcome: { record: RotationRecord; error: RotorError | null } | null = null;
    try {
      if (step.state === 'running' && step.attempts === attempt && isPastLease(step, this.deps.clock.now()))
        outcome = await this.checkStep(actor, id, stepId);
      else if (why === 'redrive' && step.attempts === attempt && this.plan.mustRedrive(record, step))
        outcome = await this.runStep(actor, id, stepId, { expectedVersion: record.rotation.version });
    } catch (error) {
      // A person (or another replica) got there first: theirs is the run.
      if (!(error instanceof StaleRotationError) && !(error instanceof RotorError && error.code === 'conflict')) throw error;
    }
    // The store could not be asked (the step is still running): the follow-up's own retries ask again.
    const after = this.queries.find(id)?.steps.find((candidate) => candidate.id === stepId);
    if (outcome?.error && after?.state === 'running') throw outcome.error;
    return [];
  }

  /** The provider's half of a step, by its executor. Throws a RotorError saying what to do, or NotYet. */
  private async perform(run: StepRun): Promise<StepOutcome> {
    if (run.step.action === null) throw new RotorError('validation', `“${run.step.title}” is done by a person: tick it when it is done.`);
    return STEP_EXECUTORS[run.step.action].run(run, this.executorDeps(run.record));
  }

  /** What the store shows of a step whose run was interrupted, by its executor. */
  private async inspect(run: StepRun): Promise<StepFinding> {
    if (run.step.action === null) return { kind: 'not_done', why: `“${run.step.title}” is done by a person: tick it when it is done.` };
    return STEP_EXECUTORS[run.step.action].inspect(run, this.executorDeps(run.record));
  }

  private executorDeps(record: RotationRecord): StepExecutorDeps {
    return {
      operations: this.deps.operations,
      store: this.queries.storeOf(record.rotation.provider),
      revocationFacts: (rotationId) => this.deps.incidents.revocationFacts(rotationId),
      compromisedVersionOf: (held) => this.queries.compromisedVersionOf(held),
      recordWriteIntent: (run, intent) => this.recordWriteIntent(run, intent),
      removalFollowUp: (held, from) => this.plan.removalFollowUp(held, from),
      secretType: (held) => this.queries.secretOf(held).type,
      targets: targetAccessOf(this.deps),
      checks: (held) => checksFor(this.deps.policy, held.rotation.secretName, this.queries.secretOf(held).type),
    };
  }

  /**
   * Before the store is written, the version the write makes and the new value's fingerprint are
   * kept on the running step: a write whose answer never came back (a crash, a lost response) is
   * then recognised as Rotor's own, adopted on retry and undone on abandon.
   */
  private recordWriteIntent({ record, step, requestToken }: StepRun, intent: WriteIntent): void {
    if (
      !this.deps.repo.updateStep(record.rotation.id, step.id, ['running'], {
        result: { ...step.result, requestToken, writeIntent: { ...intent } },
      })
    ) {
      throw new RotorError(
        'conflict',
        `“${step.title}” was finished by another run meanwhile, so Rotor wrote nothing; the view shows the result.`,
      );
    }
  }
}

/** What a step_failed event says of failed automated checks: each result, and whether the store had confirmed the new version first. */
function checksFailedDetails(error: ChecksFailedError): Record<string, unknown> {
  return {
    automatedChecks: error.result.automatedChecks,
    ...(error.change.verifiedAt ? { storeConfirmed: true, fingerprint: error.change.newFingerprint ?? null } : {}),
  };
}
