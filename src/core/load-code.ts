import { isRotorError, RotorError } from './errors.js';

/**
 * Code of Rotor loaded by its first use, not with the bot: a bot that never uses it (and every
 * bot process a test starts) does not pay its modules' load time and memory. `importCode` then
 * `make` (what is built of the module, such as a client from its settings) run once; either
 * failing is the error of that use, and the next use tries again. An import that fails (an
 * incomplete install or build) is said as what could not be done, with the loader's own error as
 * its cause; what `make` throws (a setting the constructor refused) passes as it is, since
 * reinstalling would not mend it. A RotorError is already said for a person and passes as it is.
 */
export function loadedOnFirstUse<M, T = M>(
  what: string,
  importCode: () => Promise<M>,
  make: (code: M) => T | Promise<T> = (code) => code as unknown as T,
): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () => {
    loading ??= importCode()
      .catch((error: unknown) => {
        if (isRotorError(error)) throw error;
        throw new RotorError(
          'internal',
          `Rotor could not load its code for ${what}: the installation is incomplete. Run npm ci and npm run build again, then retry.`,
          { cause: error },
        );
      })
      .then(make)
      .catch((error: unknown) => {
        loading = null;
        throw error;
      });
    return loading;
  };
}
