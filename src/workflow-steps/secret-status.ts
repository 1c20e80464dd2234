import { DateTime } from 'luxon';
import type { Actor } from '../access/actor.js';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { InventoryReader } from '../inventory/inventory-reader.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { SecretStatus } from '../inventory/secret.js';
import { findNameProblem } from '../inventory/secret-name.js';
import { summarizeSecret } from '../inventory/secret-summary.js';

/** What the *Secret status* step answers: the secret's status today, its owner, and its dates (YYYY-MM-DD). */
export interface SecretStatusAnswer {
  name: string;
  status: SecretStatus;
  owner: string | null;
  /** The day of the last completed rotation; null when it was never rotated. */
  lastRotated: string | null;
  nextDue: string;
}

/**
 * The status of a secret, for someone allowed to read it (src/access/visibility.ts). A name
 * that is not a whole secret's name is refused saying why; a secret the viewer may not read is
 * answered exactly as one that does not exist.
 */
export function secretStatus(
  deps: { inventory: InventoryRepo; reader: InventoryReader; policy: Policy; clock: Clock },
  viewer: Actor | null,
  name: string,
): SecretStatusAnswer {
  const problem = findNameProblem(name, deps.policy.environments);
  if (problem) throw new ValidationError(problem, [{ where: 'secret_name', message: problem }]);
  const secret = deps.inventory.get(name);
  // A step that names nobody reads what the policy lets anyone read: everything (workspace), or nothing.
  const anyoneReads = deps.policy.visibility === 'workspace';
  if (!secret || !(viewer ? deps.reader.mayRead(viewer, secret) : anyoneReads)) {
    const suggestions = viewer ? deps.reader.suggestNames(viewer, name) : anyoneReads ? deps.inventory.suggestNames(name) : [];
    throw new NotFoundError(`No secret named ${name}.`, suggestions);
  }
  const summary = summarizeSecret(secret, deps.clock.now(), deps.policy);
  return {
    name: secret.name,
    status: summary.status,
    owner: summary.owner,
    lastRotated: summary.last_rotated ? DateTime.fromISO(summary.last_rotated, { zone: 'utc' }).toISODate() : null,
    nextDue: summary.next_rotation,
  };
}
