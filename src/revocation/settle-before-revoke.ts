import { StaleRotationError, type RotationService } from '../rotation/rotation-service.js';
import { RotorError } from '../core/errors.js';

/**
 * Before a revocation records which version is compromised, a provider step of the secret's
 * scheduled rotation whose outcome nobody knows (its answer was lost, or its runner died) is
 * settled from the store: a Promote that did land is recorded, so the incident names the version
 * the store really holds and the rotation it supersedes is undone from what really happened. When
 * the store cannot tell now, nothing is revoked and the responder is told why.
 */
export async function settleUnknownStepBeforeRevoke(rotation: RotationService, secretName: string): Promise<void> {
  const record = rotation.openFor(secretName);
  if (!record || record.rotation.kind !== 'scheduled') return;
  const step = rotation.interruptedStep(record);
  if (!step) return;
  let failure: RotorError | null = null;
  try {
    failure = (await rotation.checkStep({ kind: 'system' }, record.rotation.id, step.id)).error;
  } catch (error) {
    // Someone settled it meanwhile: what they found stands.
    if (!(error instanceof StaleRotationError) && !(error instanceof RotorError && error.code === 'conflict')) throw error;
  }
  const after = rotation.openFor(secretName);
  const still = after?.steps.find((candidate) => candidate.id === step.id && candidate.state === 'running');
  if (after && still && rotation.interruptedStep(after)?.id === step.id) {
    throw new RotorError(
      'conflict',
      `Whether “${step.title}” of the rotation of ${secretName} happened at the store is unknown, and the store could not tell just now${failure ? ` (${failure.message})` : ''}; nothing was revoked, because the incident must record the version the store really holds. Confirm again in a minute.`,
    );
  }
}
