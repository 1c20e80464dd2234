/**
 * A row refused by a unique index: what a repository raises instead of the driver's error, so a
 * service tells two people pressing at once apart from a failure without knowing SQLite's codes.
 */
export class UniqueConflictError extends Error {
  constructor(
    /** What already exists, in a few words: `an open rotation of the secret`. */
    readonly what: string,
    cause: unknown,
  ) {
    super(`There is already ${what}.`, { cause });
    this.name = 'UniqueConflictError';
  }
}

/** Runs an insert; a unique index refusing it becomes a UniqueConflictError about `what`. */
export function uniqueInsert<T>(what: string, insert: () => T): T {
  try {
    return insert();
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new UniqueConflictError(what, error);
    throw error;
  }
}
