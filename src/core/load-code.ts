import { isRotorError, RotorError } from './errors.js';

/**
 * Code of Rotor loaded by its first use, not with the bot: a bot that never uses it (and every
 * bot process a test starts) does not pay its modules' load time and memory. `load` runs once; a
 * load that fails (an incomplete install or build) is the error of that use, said as what could
 * not be done with the loader's own error as its cause, and the next use tries again. A RotorError
 * (what `load` itself refused, such as a setting) is already said for a person and passes as it is.
 */
export function loadedOnFirstUse<T>(what: string, load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = null;
      if (isRotorError(error)) throw error;
      throw new RotorError(
        'internal',
        `Rotor could not load its code for ${what}: the installation is incomplete. Run npm ci and npm run build again, then retry.`,
        { cause: error },
      );
    });
    return loading;
  };
}
