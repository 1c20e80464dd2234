import { actorId, SYSTEM_ACTOR } from '../access/actor.js';
import type { Policy } from '../config/policy.js';
import type { Secret } from '../inventory/secret.js';
import type { Rotation } from '../rotation/rotation.js';

/** The inventory tag that marks one secret: `automatic` (Rotor rotates it when due) or `manual` (a person does, whatever its type). */
export const AUTOMATIC_TAG = 'rotor:rotation';

const ROTOR = actorId(SYSTEM_ACTOR);

/** Whether Rotor rotates the secret by itself when it comes due: its own tag, else the policy's `automatic.types`. */
export function isAutomatic(secret: Pick<Secret, 'type' | 'tags'>, policy: Pick<Policy, 'automatic'>): boolean {
  const mark = secret.tags[AUTOMATIC_TAG]?.trim().toLowerCase();
  if (mark === 'automatic') return true;
  if (mark === 'manual') return false;
  return policy.automatic.types.includes(secret.type);
}

/** A rotation Rotor opened by itself: it drives it, and a person who takes it over drives it from then on. */
export function isAutomaticRotation(rotation: Pick<Rotation, 'startedBy' | 'heldBy' | 'kind'>): boolean {
  return rotation.kind === 'scheduled' && rotation.startedBy === ROTOR && rotation.heldBy === ROTOR;
}
