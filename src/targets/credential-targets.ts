import { PostgresCredentialTarget } from './postgres/postgres-credential-target.js';
import { RedisCredentialTarget } from './redis/redis-credential-target.js';
import type { TargetTimeouts } from './target-timeouts.js';

/** The credential target of every engine Rotor can rotate at, one line each. */
export function builtInCredentialTargets(timeouts?: TargetTimeouts) {
  return { postgres: new PostgresCredentialTarget(timeouts), redis: new RedisCredentialTarget(timeouts) } as const;
}
