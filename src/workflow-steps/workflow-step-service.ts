import { slackActor } from '../access/actor.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import { type Clock, isoInstant } from '../core/clock.js';
import { NotFoundError, RotorError, ValidationError } from '../core/errors.js';
import type { FollowUpService } from '../follow-ups/follow-up-service.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import { findNameProblem } from '../inventory/secret-name.js';
import { parseReason } from '../revocation/revocation-request.js';
import type { RotationRecord } from '../rotation/rotation.js';
import type { RotationService } from '../rotation/rotation-service.js';
import { parseStepReason, parseUserInput, requiredText } from './step-inputs.js';
import type { StepKind, StepResult, StepRun } from './step-run.js';
import type { StepRunRepo } from './step-run-repo.js';

/** The follow-up that tells Slack how a step ended (registered by the Slack adapter). */
export const STEP_COMPLETION_FOLLOW_UP = 'workflow_step.complete';

export function stepTopic(executionId: string): string {
  return `workflow-step:${executionId}`;
}

/** What a function_executed event gave a step: its ids and its raw inputs, checked here. */
export interface StepStart {
  executionId: string;
  workflowExecutionId: string | null;
  inputs: Readonly<Record<string, unknown>>;
}

/** The step's run; `created` is false for an execution Slack sent before (a retried event). */
export interface StepStarted {
  run: StepRun;
  created: boolean;
}

export interface WorkflowStepDeps {
  repo: StepRunRepo;
  rotation: RotationService;
  inventory: InventoryRepo;
  audit: AuditLog;
  followUps: FollowUpService;
  clock: Clock;
  policy: Policy;
  /** Sweeps due follow-ups soon: Slack hears of a step's end now, not at the next scheduled sweep. */
  kickFollowUps?: () => void;
}

/**
 * Rotor's Workflow Builder steps, without Slack. *Rotate secret* is checked exactly as `/rotate`
 * is (who may rotate the secret; an unknown name answered with names the requester may rotate)
 * and then follows the secret's rotation; *Report a compromised secret* waits for a responder.
 * A step's end is fixed in the transaction that ends what it waited for, and told to Slack by
 * a follow-up: durable, once, across restarts.
 */
export class WorkflowStepService {
  constructor(private readonly deps: WorkflowStepDeps) {}

  get(executionId: string): StepRun | null {
    return this.deps.repo.get(executionId);
  }

  /**
   * A *Rotate secret* step: the requester must be allowed to rotate the secret. It follows the
   * rotation open on the secret, or the next one started.
   */
  startRotation(start: StepStart): StepStarted {
    const requester = parseUserInput(start.inputs.requester, 'requester');
    const name = this.secretName(start.inputs.secret_name);
    this.deps.rotation.rotatable(slackActor(requester), name);
    const reason = parseStepReason(start.inputs.reason);
    const open = this.deps.rotation.openFor(name);
    return this.insert(start, 'rotate_secret', { name, requester, reason, rotationId: open?.rotation.id ?? null });
  }

  /**
   * A *Report a compromised secret* step: anyone may report a leak (responders decide what
   * happens); the reason is checked like `/revoke`'s, never echoed.
   */
  startReport(start: StepStart): StepStarted {
    const reporter = parseUserInput(start.inputs.reporter, 'reporter');
    const name = this.secretName(start.inputs.secret_name);
    if (!this.deps.inventory.get(name)) throw new NotFoundError(`No secret named ${name}.`);
    const reason = parseReason(typeof start.inputs.reason === 'string' ? start.inputs.reason : null);
    return this.insert(start, 'report_compromised_secret', { name, requester: reporter, reason, rotationId: null });
  }

  /**
   * A step whose message Slack refused (the requester's DMs closed, the incident channel gone):
   * nobody would hear of it, so it fails now, saying why, instead of waiting for ever.
   */
  unreachable(executionId: string, why: string): void {
    const run = this.deps.repo.get(executionId);
    if (!run || run.state !== 'waiting') return;
    this.settle(run, { kind: 'error', error: why }, 'rotor');
    this.deps.kickFollowUps?.();
  }

  /** A *Report a compromised secret* step that a responder took up: it completes, naming them. */
  responderTookUp(executionId: string, responder: string): void {
    const run = this.deps.repo.get(executionId);
    if (!run || run.kind !== 'report_compromised_secret') throw new NotFoundError('This workflow step is not one Rotor knows.');
    this.settle(run, { kind: 'success', outputs: { responder, secret_name: run.secretName } }, responder);
    this.deps.kickFollowUps?.();
  }

  /**
   * Told of every rotation change inside its transaction: links the waiting steps of its secret
   * to it, and fixes their result when it has ended (the rotation's end kicks the follow-ups).
   */
  onRotationChange(record: RotationRecord): void {
    const { rotation } = record;
    const now = isoInstant(this.deps.clock.now());
    for (const run of this.deps.repo.waitingOnRotation(rotation.secretName, rotation.id)) {
      // A rollback ends a rotation that completed before the step began: not the one it asked for.
      if (run.rotationId === null && (rotation.state === 'rolled_back' || !this.deps.repo.attach(run.executionId, rotation.id, now)))
        continue;
      const result = rotationResult(record);
      if (result) this.settle(run, result, 'rotor');
    }
  }

  private settle(run: StepRun, result: StepResult, actor: string): void {
    const now = isoInstant(this.deps.clock.now());
    this.deps.audit.record(() => {
      if (!this.deps.repo.settle(run.executionId, result, now)) throw new RotorError('conflict', 'This workflow step has already ended.');
      this.deps.followUps.schedule({
        kind: STEP_COMPLETION_FOLLOW_UP,
        topic: stepTopic(run.executionId),
        dueAt: now,
        payload: { execution: run.executionId },
      });
      return {
        result: undefined,
        events: [
          {
            actor,
            action: 'workflow_step.ended',
            secret: run.secretName,
            details: { step: run.kind, execution: run.executionId, rotation: run.rotationId, outcome: result.kind },
          },
        ],
      };
    });
  }

  private secretName(input: unknown): string {
    const name = requiredText(input, 'secret name');
    const problem = findNameProblem(name, this.deps.policy.environments);
    if (problem) throw new ValidationError(problem, [{ where: 'secret_name', message: problem }]);
    return name;
  }

  private insert(
    start: StepStart,
    kind: StepKind,
    fields: { name: string; requester: string; reason: string; rotationId: number | null },
  ): StepStarted {
    const now = isoInstant(this.deps.clock.now());
    const created = this.deps.audit.record(() => {
      const inserted = this.deps.repo.insert(
        {
          executionId: start.executionId,
          workflowExecutionId: start.workflowExecutionId,
          kind,
          secretName: fields.name,
          requestedBy: fields.requester,
          reason: fields.reason,
          rotationId: fields.rotationId,
        },
        now,
      );
      return {
        result: inserted,
        events: inserted
          ? [
              {
                actor: fields.requester,
                action: 'workflow_step.started',
                secret: fields.name,
                details: { step: kind, execution: start.executionId, rotation: fields.rotationId },
              },
            ]
          : [],
      };
    });
    return { run: this.deps.repo.get(start.executionId) as StepRun, created };
  }
}

/** How a *Rotate secret* step ends with its rotation: null while the rotation is open. */
export function rotationResult(record: RotationRecord): StepResult | null {
  const { rotation } = record;
  const which = `The rotation of ${rotation.secretName} (#${rotation.id})`;
  const why = rotation.endReason ? `: ${rotation.endReason}` : '';
  switch (rotation.state) {
    case 'awaiting_approval':
    case 'in_progress':
      return null;
    case 'completed':
      return {
        kind: 'success',
        outputs: { rotation_id: String(rotation.id), outcome: 'completed', new_version_id: rotation.newVersionId ?? '' },
      };
    case 'abandoned':
      return { kind: 'error', error: `${which} was abandoned by ${rotation.endedBy ?? 'someone'}${why}` };
    case 'rejected':
      return { kind: 'error', error: `${which} was rejected by ${rotation.endedBy ?? 'an approver'}${why}` };
    case 'rolled_back':
      return { kind: 'error', error: `${which} was rolled back by ${rotation.endedBy ?? 'someone'}${why}` };
  }
}
