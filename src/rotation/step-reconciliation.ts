import { DateTime } from 'luxon';
import type { ProviderOperationsService } from '../providers/provider-operations-service.js';
import type { SecretDescription } from '../providers/secret-provider.js';
import { storeBindingOf, type RotationRecord, type RotationStep } from './rotation.js';
import type { RotationChange } from './rotation-repo.js';

/**
 * A provider step is marked `running` before its call and recorded after it: a runner that died
 * in between (a crash, a kill, a deploy) leaves the step running while the store may or may not
 * have changed. Past this lease nobody is still waiting for the call; the store is asked what
 * happened (by a follow-up, or by "Check the store" in the modal).
 */
export const STEP_LEASE_MINUTES = 3;

export function leaseEnd(step: Pick<RotationStep, 'startedAt'>): DateTime | null {
  return step.startedAt ? DateTime.fromISO(step.startedAt, { zone: 'utc' }).plus({ minutes: STEP_LEASE_MINUTES }) : null;
}

/** Whether nobody waits for a running step's call any more: its lease is over, or its answer was lost (unknown-outcome.ts). */
export function isPastLease(step: Pick<RotationStep, 'state' | 'startedAt' | 'result'>, now: DateTime): boolean {
  const end = leaseEnd(step);
  return step.state === 'running' && (step.result?.outcomeUnknown === true || (end !== null && end <= now));
}

/**
 * What the store shows about an interrupted step: it happened (recorded as done, with what the
 * store says), it did not (the step waits for its button again), or the store shows something
 * Rotor did not do (a person decides, with the choices named in `why`). `rerun`: the step only
 * reads the store (or only the database), so running it again is how to find out.
 */
export type StepFinding =
  | { kind: 'done'; result: Record<string, unknown>; change: RotationChange; finish?: 'promote' }
  | { kind: 'not_done'; why: string }
  | { kind: 'ask'; why: string }
  | { kind: 'rerun' };

/** The one version of a step's own making the store may hold: the request token it wrote under (AWS). */
export function requestTokenOf(step: RotationStep | undefined): string | null {
  return typeof step?.result?.requestToken === 'string' ? step.result.requestToken : null;
}

/** The step that creates the rotation's new version, whose request token names it at the store. */
export function creationStepOf(record: RotationRecord): RotationStep | undefined {
  return record.steps.find((step) => step.action === 'create_version' || step.action === 'await_provider_rotation');
}

function versionIn(description: SecretDescription, versionId: string): { current: boolean; labels: string[] } | null {
  if (description.current?.versionId === versionId) return { current: true, labels: description.current.labels };
  const other = description.others.find((version) => version.versionId === versionId);
  return other ? { current: false, labels: other.labels } : null;
}

/**
 * Asks the store what became of `step`, interrupted while running. Reads only; a write that
 * finishes what the store shows half-done (a promote that moved AWSCURRENT but not AWSPENDING)
 * is asked for with `finish`.
 */
export async function inspectInterruptedStep(
  deps: { operations: ProviderOperationsService; compromisedVersionOf: (record: RotationRecord) => string | null },
  record: RotationRecord,
  step: RotationStep,
  now: string,
): Promise<StepFinding> {
  const { rotation } = record;
  const bound = storeBindingOf(rotation);
  const ops = deps.operations;
  switch (step.action) {
    case 'create_version': {
      if (rotation.newVersionId) return { kind: 'done', result: { versionId: rotation.newVersionId, note: 'already created' }, change: {} };
      const description = await ops.validate(bound);
      if (rotation.provider === 'vault') {
        const current = description.current?.versionId ?? null;
        if (!current || current === rotation.previousVersionId) return { kind: 'not_done', why: `Rotor stopped before Vault wrote a new version (version ${current ?? 'none'} is still current): press “Create new version” again.` };
        return {
          kind: 'ask',
          why: `Rotor stopped while writing, and Vault's current version is now ${current} (it was ${rotation.previousVersionId ?? 'none'}): most likely Rotor's own write. Press “Try again” to take version ${current} as the new one, or “Abandon…” to stop.`,
        };
      }
      const token = requestTokenOf(step);
      const made = token ? versionIn(description, token) : null;
      if (!token || !made) return { kind: 'not_done', why: `Rotor stopped before AWS made the new version (no version ${token ?? '(no token)'} in the store): press “Create new version” again.` };
      const fingerprint = description.rotationConfigured ? null : (await ops.readVersion(bound, token)).fingerprint;
      return {
        kind: 'done',
        result: { versionId: token, fingerprint, promotedOnCreate: false, labels: made.labels },
        change: { newVersionId: token, newFingerprint: fingerprint, ...(made.current ? { promotedAt: now } : {}) },
      };
    }
    case 'promote': {
      const newVersionId = rotation.newVersionId;
      if (!newVersionId) return { kind: 'not_done', why: 'There is no new version to promote yet.' };
      const description = await ops.validate(bound);
      const current = description.current?.versionId ?? null;
      if (current === newVersionId) return { kind: 'done', result: { versionId: newVersionId, previousVersionId: rotation.previousVersionId }, change: { promotedAt: rotation.promotedAt ?? now }, finish: 'promote' };
      const expected = rotation.placeholderVersionId ?? rotation.previousVersionId;
      if (current === expected) return { kind: 'not_done', why: `Rotor stopped before the store made version ${newVersionId} current (${current ?? 'none'} still is): press “Promote” again.` };
      return {
        kind: 'ask',
        why: `The store's current version is ${current ?? 'none'}: neither the new version ${newVersionId} nor ${expected ?? 'the one at the start'}. Someone changed it meanwhile: run \`rotor sync\` and look, then “Abandon…” this rotation, or press “Try again” only if ${newVersionId} must be current.`,
      };
    }
    case 'disable_compromised': {
      const compromised = deps.compromisedVersionOf(record);
      if (!compromised) return { kind: 'not_done', why: 'Rotor does not know the compromised version; disable it at the provider by hand and tick this step.' };
      const still = await ops.stillInService(bound, compromised);
      if (still) return { kind: 'not_done', why: `The store still serves the compromised version ${compromised} (${still}).` };
      const description = await ops.validate(bound);
      const current = description.current?.versionId ?? null;
      // Disabling at once on AWS made a placeholder current first: that is the version current now.
      const placeholder = rotation.provider === 'aws' && !rotation.placeholderVersionId && !(rotation.promotedAt && rotation.newVersionId) && current && current !== compromised ? current : null;
      return {
        kind: 'done',
        result: { versionId: compromised, action: rotation.provider === 'vault' ? 'soft_deleted_or_destroyed' : 'labels_removed', replacementVersionId: current },
        change: placeholder ? { placeholderVersionId: placeholder } : {},
      };
    }
    case 'await_provider_rotation':
      return { kind: 'not_done', why: 'Rotor stopped while asking the rotation function: press “Run / check the rotation” again (it finds the version it asked for).' };
    case 'detect_version':
    case 'verify':
    case 'schedule_removal':
      return { kind: 'rerun' };
    case null:
      return { kind: 'not_done', why: `“${step.title}” is done by a person: tick it when it is done.` };
  }
}
