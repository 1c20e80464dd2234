import type { Actor } from '../../src/access/actor.js';
import { createLogger } from '../../src/logging/logger.js';
import { createProviderRegistry, type ProviderRegistry } from '../../src/providers/provider-registry.js';
import type { RotationRecord } from '../../src/rotation/rotation.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { TempStore } from './temp-db.js';

/** A second runtime over a test's database file (no Slack): arranges rotations the app under test then finds. */
export function sideRuntime(store: TempStore, registry: ProviderRegistry = createProviderRegistry({})): Runtime {
  return createRuntime({
    db: store.db,
    clock: store.clock,
    policy: store.policy,
    logger: createLogger('silent'),
    providers: { registry, close: () => undefined },
    slack: null,
  });
}

export function startRotation(store: TempStore, actor: Actor, name: string, ticket = 'SEC-100'): Promise<RotationRecord> {
  return sideRuntime(store).rotation.start(actor, name, { ticket });
}
