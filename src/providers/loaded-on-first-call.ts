import { RotorError } from '../core/errors.js';
import { loadedOnFirstUse } from '../core/load-code.js';
import type { FindWriteRequest, ProviderTarget, SecretProvider } from './secret-provider.js';

/** The port's optional calls: a call added to the port must be declared by every connection made here. */
type OptionalCall = { [K in keyof SecretProvider]-?: object extends Pick<SecretProvider, K> ? K : never }[keyof SecretProvider];

/** The optional calls of the port the connection will have, said up front since it is not loaded yet (`destroy` it always has). */
export type OptionalCalls = Record<Exclude<OptionalCall, 'destroy'>, boolean>;

/** How each connection made here loads what stands behind it. */
const loaders = new WeakMap<SecretProvider, () => Promise<SecretProvider>>();

/**
 * The provider itself behind a connection `loadedOnFirstCall` made (loading it if no call has yet),
 * or `provider` when it was connected directly: for the few store-specific calls outside the port,
 * such as KMS's own automatic rotation, which need the store's class.
 */
export async function connectionBehind(provider: SecretProvider): Promise<SecretProvider> {
  const load = loaders.get(provider);
  return load ? load() : provider;
}

/**
 * A store's connection whose code (and SDK) is loaded by the first call, not with Rotor: a
 * process that never reaches the store (most bots use one or two stores; every test file boots
 * the bot) does not pay the seconds an SDK takes to load. `importCode` and `connect` run once
 * (core/load-code.ts); a failed load is tried again by the next call.
 */
export function loadedOnFirstCall<M>(
  kind: string,
  calls: OptionalCalls,
  importCode: () => Promise<M>,
  connect: (code: M) => SecretProvider,
): SecretProvider {
  let loaded: SecretProvider | null = null;
  let closed = false;
  const connection = loadedOnFirstUse(`the ${kind} store`, importCode, (code) => {
    const provider = connect(code);
    loaded = provider;
    // Closed while it loaded: nothing will call it, so its sockets are released at once.
    if (closed) provider.destroy?.();
    return provider;
  });
  const optional = <K extends keyof OptionalCalls>(provider: SecretProvider, call: K): NonNullable<SecretProvider[K]> => {
    const method = provider[call];
    if (!method) throw new RotorError('internal', `The ${kind} store was declared to have ${call}, but its connection has none.`);
    return method.bind(provider) as NonNullable<SecretProvider[K]>;
  };
  const lazy: SecretProvider = {
    kind,
    validateReference: async (target) => (await connection()).validateReference(target),
    describe: async (target) => (await connection()).describe(target),
    describeShape: async (target) => (await connection()).describeShape(target),
    createVersion: async (target, request) => (await connection()).createVersion(target, request),
    promote: async (target, request) => (await connection()).promote(target, request),
    readCurrent: async (target, options) => (await connection()).readCurrent(target, options),
    readVersion: async (target, versionId) => (await connection()).readVersion(target, versionId),
    restoreVersion: async (target, request) => (await connection()).restoreVersion(target, request),
    deprecateVersion: async (target, versionId, options) => (await connection()).deprecateVersion(target, versionId, options),
    disableVersion: async (target, request) => (await connection()).disableVersion(target, request),
    listForDiscovery: async (filter) => (await connection()).listForDiscovery(filter),
    ...(calls.writeProvenance
      ? {
          writeProvenance: async (target: Parameters<NonNullable<SecretProvider['writeProvenance']>>[0], tags: Record<string, string>) =>
            optional(await connection(), 'writeProvenance')(target, tags),
        }
      : {}),
    ...(calls.lendValue
      ? {
          async lendValue<T>(
            target: Parameters<NonNullable<SecretProvider['lendValue']>>[0],
            versionId: string | null,
            use: (text: string) => Promise<T>,
          ): Promise<T> {
            return optional(await connection(), 'lendValue')(target, versionId, use);
          },
        }
      : {}),
    ...(calls.findWrite
      ? {
          findWrite: async (target: ProviderTarget, request: FindWriteRequest) =>
            optional(await connection(), 'findWrite')(target, request),
        }
      : {}),
    destroy() {
      closed = true;
      loaded?.destroy?.();
    },
  };
  loaders.set(lazy, connection);
  return lazy;
}
