import { NotFoundError } from '../core/errors.js';
import type { InventoryRepo } from './inventory-repo.js';
import type { Secret } from './secret.js';

/** The secret of that name, or a NotFoundError naming the closest names (a read, so any connection will do). */
export function requireSecret(repo: Pick<InventoryRepo, 'get' | 'suggestNames'>, name: string): Secret {
  const secret = repo.get(name);
  if (!secret) throw new NotFoundError(`No secret named \`${name}\`.`, repo.suggestNames(name));
  return secret;
}
