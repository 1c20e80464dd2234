import type { Actor } from '../../access/actor.js';
import type { CheckSpec } from '../../checks/check-spec.js';
import { RotorError } from '../../core/errors.js';
import type { NextStep } from '../../core/next-step.js';
import type { FollowUpRequest } from '../../follow-ups/follow-up.js';
import type { SecretType } from '../../inventory/secret.js';
import type { ProviderOperationsService } from '../../providers/provider-operations-service.js';
import type { SecretDescription, WriteIntent } from '../../providers/secret-provider.js';
import type { StoreKind } from '../../providers/store-kind.js';
import type { RevocationFacts } from '../incident-link.js';
import { storeBindingOf, type RotationRecord, type RotationStep } from '../rotation.js';
import type { RotationChange } from '../rotation-repo.js';
import type { TargetAccess } from './target-access.js';

/**
 * One provider step of a rotation, done by Rotor: a step's `action` names its executor in the
 * registry (step-executors.ts). An executor is idempotent with its request token: run again
 * after a crash, a lost answer or a retry, it finds what its earlier run left (a version made
 * under the token, a write it recorded the intent of) instead of doing it twice. It changes
 * nothing in the database itself: the state machine records what it returns.
 *
 * Executors of the kind "set at target", "verify at target", "retire at target" (a PostgreSQL
 * role, a Redis ACL user: src/targets/credential-target.ts) are added the same way: an action in
 * STEP_ACTIONS, an executor in the registry, and what they need in StepExecutorDeps.
 */
export interface StepExecutor {
  /** Does the step. Returns what to record; throws a RotorError saying what to do, NotYet, or PartialStepError. */
  run(run: StepRun, deps: StepExecutorDeps): Promise<StepOutcome>;
  /** What the store shows of a run of this step that was interrupted (its runner died): reads only. */
  inspect(run: StepRun, deps: StepExecutorDeps): Promise<StepFinding>;
}

/** One run of a step: who, on which rotation (as it was when the run started), under which token, at what time. */
export interface StepRun {
  actor: Actor;
  record: RotationRecord;
  step: RotationStep;
  /** Kept on the step before the call: what the store names this run's version by. */
  requestToken: string;
  /** ISO instant the run is recorded at. */
  now: string;
}

/** What executors are given: the store's operations and knowledge, and the few facts of the rotation kept elsewhere. */
export interface StepExecutorDeps {
  operations: ProviderOperationsService;
  /** The rotation's store kind: what it can do decides how a step is done. */
  store: StoreKind;
  /** What the rotation's incident says about disabling the compromised version, or null (not an emergency). */
  revocationFacts(rotationId: number): RevocationFacts | null;
  /** The version an emergency rotation disables: the incident's, or the one current when it started. */
  compromisedVersionOf(record: RotationRecord): string | null;
  /** Keeps the write a step is about to make on the running step; a throw stops the write. */
  recordWriteIntent(run: StepRun, intent: WriteIntent): void;
  /** The follow-up that offers to remove the previous version at the end of the retention window. */
  removalFollowUp(record: RotationRecord, from: string): FollowUpRequest;
  /** The secret's type, for the by-hand command a step names. */
  secretType(record: RotationRecord): SecretType;
  /** Where the secret's credential is used, and the logins its versions name (set, verify, retire at target). */
  targets: TargetAccess;
  /** The policy's automated checks for the rotation's secret (src/checks), run by the verify steps. */
  checks(record: RotationRecord): readonly CheckSpec[];
}

export interface StepOutcome {
  result: Record<string, unknown>;
  change: RotationChange;
  followUps?: FollowUpRequest[];
}

/**
 * What the store shows about an interrupted step: it happened (recorded as done, with what the
 * store says), it did not (the step waits for its button again), or the store shows something
 * Rotor did not do (a person decides, with the choices named in `why` and `next`: the action to
 * take, which each surface names in its words). `rerun`: the step only
 * reads the store (or only the database), so running it again is how to find out.
 */
export type StepFinding =
  | { kind: 'done'; result: Record<string, unknown>; change: RotationChange; finish?: 'promote' }
  | { kind: 'not_done'; why: string; next?: NextStep }
  | { kind: 'ask'; why: string; next?: NextStep }
  | { kind: 'rerun' };

/** A provider step that failed after changing something at the provider that must be remembered (a placeholder made current). */
export class PartialStepError extends RotorError {
  constructor(
    readonly change: RotationChange,
    cause: RotorError,
  ) {
    super(cause.code, cause.message, { cause });
    this.name = 'PartialStepError';
  }
}

/** A provider step that cannot finish yet (a rotation function still running): not an error. */
export class NotYet extends Error {
  constructor(
    readonly change: RotationChange,
    readonly result: Record<string, unknown>,
  ) {
    super('not yet');
  }
}

/** The one version of a step's own making a staging store may hold: the request token it wrote under. */
export function requestTokenOf(step: RotationStep | undefined): string | null {
  return typeof step?.result?.requestToken === 'string' ? step.result.requestToken : null;
}

/** The step that creates the rotation's new version, whose request token names it at the store. */
export function creationStepOf(record: RotationRecord): RotationStep | undefined {
  return record.steps.find((step) => step.action === 'create_version' || step.action === 'await_provider_rotation');
}

/** The field of the secret's value that holds the password: where the create step placed the generated value. */
export function passwordFieldOf(record: RotationRecord): string {
  const placement = creationStepOf(record)?.result?.placement as { kind?: string; field?: unknown } | undefined;
  return placement?.kind === 'field' && typeof placement.field === 'string' ? placement.field : 'password';
}

/** The write a create step recorded before calling the store, if any. */
export function writeIntentOf(step: RotationStep | undefined): WriteIntent | null {
  const intent = step?.result?.writeIntent as Partial<WriteIntent> | undefined;
  return intent && typeof intent.versionId === 'string' && typeof intent.fingerprint === 'string'
    ? { versionId: intent.versionId, fingerprint: intent.fingerprint }
    : null;
}

/**
 * A write of this rotation, to a store whose writes are current at once, that landed but was never
 * recorded: the store's current version is the one the write was to make, holding the value whose
 * fingerprint was kept before the write. Any other current version is someone else's.
 */
export async function ownUnrecordedWrite(
  operations: ProviderOperationsService,
  record: RotationRecord,
): Promise<{ versionId: string; fingerprint: string } | null> {
  const intent = writeIntentOf(record.steps.find((step) => step.action === 'create_version'));
  if (!intent || record.rotation.newVersionId) return null;
  return operations.currentIs(storeBindingOf(record.rotation), intent);
}

export function requireNewVersion(record: RotationRecord): string {
  if (!record.rotation.newVersionId) throw new RotorError('conflict', 'There is no new version yet: do the create step first.');
  return record.rotation.newVersionId;
}

/** Where `versionId` is in the store's description: current, among the others (with its labels), or absent. */
export function versionIn(description: SecretDescription, versionId: string): { current: boolean; labels: string[] } | null {
  if (description.current?.versionId === versionId) return { current: true, labels: description.current.labels };
  const other = description.others.find((version) => version.versionId === versionId);
  return other ? { current: false, labels: other.labels } : null;
}
