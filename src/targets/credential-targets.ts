import { loadedOnFirstUse } from '../core/load-code.js';
import type { CredentialTarget } from './credential-target.js';
import type { TargetDescription } from './target-description.js';
import type { TargetTimeouts } from './target-timeouts.js';

/** The credential target of every engine Rotor can rotate at, one line each. */
export function builtInCredentialTargets(timeouts?: TargetTimeouts) {
  return {
    postgres: loadedOnFirstUseOfEngine(
      'postgres',
      () => import('./postgres/postgres-credential-target.js'),
      ({ PostgresCredentialTarget }) => new PostgresCredentialTarget(timeouts),
    ),
    redis: loadedOnFirstUseOfEngine(
      'redis',
      () => import('./redis/redis-credential-target.js'),
      ({ RedisCredentialTarget }) => new RedisCredentialTarget(timeouts),
    ),
  } as const;
}

/** An engine's credential target whose code is loaded by its first call: most bots rotate at no database. */
function loadedOnFirstUseOfEngine<Target extends TargetDescription, M>(
  engine: Target['engine'],
  importCode: () => Promise<M>,
  make: (code: M) => CredentialTarget<Target>,
): CredentialTarget<Target> {
  const loaded = loadedOnFirstUse(`rotating at ${engine}`, importCode, make);
  return {
    engine,
    preflight: async (target, managing) => (await loaded()).preflight(target, managing),
    setCredential: async (target, managing, credential) => (await loaded()).setCredential(target, managing, credential),
    verifyLogin: async (target, credential) => (await loaded()).verifyLogin(target, credential),
    retire: async (target, managing, credential) => (await loaded()).retire(target, managing, credential),
    lockOut: async (target, managing, credential) => (await loaded()).lockOut(target, managing, credential),
  };
}
