import type { ReplicaSummary } from './secret-provider.js';

/** Whether a replica serves the secret's current version: InSync; any other status (Failed, InProgress) does not. */
export function isInSync(replica: Pick<ReplicaSummary, 'status'>): boolean {
  return replica.status === 'InSync';
}

/**
 * Regions a policy requires that the secret is not replicated to (its primary region counts),
 * for `/secrets review`. A replica that is there but not in sync is not missing: replicasNotInSync names it.
 */
export function missingReplicaRegions(
  required: readonly string[],
  primaryRegion: string | null,
  replicas: readonly Pick<ReplicaSummary, 'region'>[],
): string[] {
  const present = new Set([...(primaryRegion ? [primaryRegion] : []), ...replicas.map((replica) => replica.region)]);
  return [...new Set(required)].filter((region) => !present.has(region)).sort();
}

/**
 * The replicas in a required region that are not in sync (a replica moto or AWS marks Failed, or
 * still InProgress): there, but not serving the secret, so the region is not covered.
 */
export function replicasNotInSync(
  required: readonly string[],
  replicas: readonly Pick<ReplicaSummary, 'region' | 'status'>[],
): Pick<ReplicaSummary, 'region' | 'status'>[] {
  const wanted = new Set(required);
  return replicas
    .filter((replica) => wanted.has(replica.region) && !isInSync(replica))
    .map((replica) => ({ region: replica.region, status: replica.status }))
    .sort((a, b) => a.region.localeCompare(b.region));
}
