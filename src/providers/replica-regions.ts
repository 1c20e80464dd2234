import type { ReplicaSummary } from './secret-provider.js';

/**
 * Regions a policy requires that the secret is not replicated to (its primary region counts),
 * for `/secrets review`.
 */
export function missingReplicaRegions(
  required: readonly string[],
  primaryRegion: string | null,
  replicas: readonly Pick<ReplicaSummary, 'region'>[],
): string[] {
  const present = new Set([...(primaryRegion ? [primaryRegion] : []), ...replicas.map((replica) => replica.region)]);
  return [...new Set(required)].filter((region) => !present.has(region)).sort();
}
