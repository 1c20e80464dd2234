import { UniqueConflictError } from '../core/errors.js';

/** Runs an insert; a unique index refusing it becomes a UniqueConflictError about `what`. */
export function uniqueInsert<T>(what: string, insert: () => T): T {
  try {
    return insert();
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new UniqueConflictError(what, error);
    throw error;
  }
}
