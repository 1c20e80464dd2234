import type { Secret } from '../../../inventory/secret.js';
import type { RotationStep } from '../../../rotation/rotation.js';
import type { StoreKind } from '../../../providers/store-kind.js';

/**
 * How a consumer fetches the current version: the store's own line (the value never appears;
 * the line fetches it), and the secret's own instructions (all there is for a manual secret).
 * Plain text: the caller puts it in a code block.
 */
export function retrievalCommand(
  secret: Pick<Secret, 'name' | 'providerRef' | 'retrievalInstructions'>,
  store: StoreKind,
): { command: string | null; instructions: string | null } {
  return {
    command: secret.providerRef ? store.commands.retrieve(secret.name, secret.providerRef) : null,
    instructions: secret.retrievalInstructions,
  };
}

/** The consumers of a replicated secret that run in one of its replica regions, and the line reading the replica there. */
export interface ReplicaRetrieval {
  region: string;
  consumers: string[];
  command: string;
}

/**
 * A line per replica region some consumer runs in (the policy's `replication.consumer_regions`),
 * so it reads the copy next to it. Only regions verify read the new version in count: a replica
 * Rotor did not see serve it is never offered. Consumers elsewhere use the primary's line.
 */
export function replicaRetrievals(
  secret: Pick<Secret, 'name' | 'providerRef' | 'consumers'>,
  store: StoreKind,
  replicaRegions: readonly string[],
  consumerRegions: Readonly<Record<string, string>>,
): ReplicaRetrieval[] {
  const retrieveIn = store.commands.retrieveIn;
  const ref = secret.providerRef;
  if (!retrieveIn || !ref) return [];
  const byRegion = new Map<string, string[]>();
  for (const consumer of secret.consumers) {
    const region = consumerRegions[consumer];
    if (!region || !replicaRegions.includes(region)) continue;
    byRegion.set(region, [...(byRegion.get(region) ?? []), consumer]);
  }
  return [...byRegion.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([region, consumers]) => ({ region, consumers, command: retrieveIn(secret.name, ref, region) }));
}

/** The replica regions the rotation's verify step read the new version in (the store's `replicasVerified` check). */
export function verifiedReplicaRegions(steps: readonly Pick<RotationStep, 'action' | 'result'>[]): string[] {
  const checks = steps.find((step) => step.action === 'verify')?.result?.['checks'];
  const verified =
    checks && typeof checks === 'object' && !Array.isArray(checks) ? (checks as Record<string, unknown>)['replicasVerified'] : null;
  return typeof verified === 'string'
    ? verified
        .split(',')
        .map((region) => region.trim())
        .filter((region) => region.length > 0)
    : [];
}
