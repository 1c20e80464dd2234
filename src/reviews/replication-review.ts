import type { ReadScope } from '../access/visibility.js';
import type { Policy } from '../config/policy.js';
import { describeError } from '../core/errors.js';
import type { InventoryRepo, ReplicationListed } from '../inventory/inventory-repo.js';
import { missingReplicaRegions, replicasNotInSync } from '../providers/replica-regions.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';

/** Store reads one review makes at most: the rest are counted, not read, so a large inventory cannot hold the reply up. */
export const REPLICATION_REVIEW_LIMIT = 50;
/** Secrets in a store that does not replicate, named in the findings (the rest are counted). */
export const NOT_REPLICATED_NAMED = 10;
/** Store reads in flight at once. */
const PARALLEL_READS = 4;

export interface ReplicationGap {
  secret: string;
  environment: string;
  /** The required regions the store keeps no copy in (the primary's region counts). */
  missing: string[];
  /** The required regions whose replica is there but not in sync (Failed, InProgress), with its status. */
  notInSync: { region: string; status: string }[];
}

/** What `/secrets review` says of the policy's `replication.required_regions`. */
export interface ReplicationFindings {
  /** Secrets whose replicas, as their store reports them, miss a required region or are not in sync there. */
  gaps: ReplicationGap[];
  /** Secrets whose store could not be read this time (access, outage, a broken reference), with why. */
  unread: { secret: string; reason: string }[];
  /** Secrets in stores that do not replicate (Vault, manual, …): not checked. The first NOT_REPLICATED_NAMED by name. */
  notReplicated: string[];
  /** How many secrets of the required environments are in stores that do not replicate. */
  notReplicatedCount: number;
  /** Secrets read and found in every required region, each replica in sync. */
  complete: number;
  /** Secrets past REPLICATION_REVIEW_LIMIT, not read this time. */
  leftOut: number;
}

export interface ReplicationReviewDeps {
  inventory: InventoryRepo;
  registry: ProviderRegistry;
  policy: Policy;
}

/**
 * The registry policy's "replication in all regions": each live secret of an environment the
 * policy names is looked up in its store, through the provider port, and listed when its
 * replicas miss a required region. Only the store's metadata is read, never a value.
 */
export class ReplicationReview {
  constructor(private readonly deps: ReplicationReviewDeps) {}

  /** Null when the policy requires no replica region. */
  async check(scope: ReadScope): Promise<ReplicationFindings | null> {
    const required = Object.entries(this.deps.policy.replication.requiredRegions);
    if (required.length === 0) return null;
    const findings: ReplicationFindings = { gaps: [], unread: [], notReplicated: [], notReplicatedCount: 0, complete: 0, leftOut: 0 };
    const providers = this.deps.registry.stores.kinds.filter((kind) => kind.capabilities.replicas).map((kind) => kind.kind);
    const toRead: { secret: ReplicationListed; regions: readonly string[] }[] = [];
    for (const [environment, regions] of required) {
      const replicated = this.deps.inventory.replicationListed(
        { environment, providers, inProviders: true, scope },
        REPLICATION_REVIEW_LIMIT - toRead.length,
      );
      toRead.push(...replicated.secrets.map((secret) => ({ secret, regions })));
      findings.leftOut += replicated.total - replicated.secrets.length;
      const others = this.deps.inventory.replicationListed({ environment, providers, inProviders: false, scope }, NOT_REPLICATED_NAMED);
      findings.notReplicated.push(...others.secrets.map((secret) => secret.name));
      findings.notReplicatedCount += others.total;
    }
    const queue = [...toRead];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.checkOne(next.secret, next.regions, findings);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, toRead.length) }, worker));
    findings.gaps.sort((a, b) => a.secret.localeCompare(b.secret));
    findings.unread.sort((a, b) => a.secret.localeCompare(b.secret));
    findings.notReplicated = findings.notReplicated.sort().slice(0, NOT_REPLICATED_NAMED);
    return findings;
  }

  private async checkOne(secret: ReplicationListed, regions: readonly string[], findings: ReplicationFindings): Promise<void> {
    try {
      const { provider, target } = this.deps.registry.resolve(secret);
      const description = await provider.describe(target);
      const missing = missingReplicaRegions(regions, description.region ?? null, description.replicas ?? []);
      const notInSync = replicasNotInSync(regions, description.replicas ?? []);
      if (missing.length > 0 || notInSync.length > 0)
        findings.gaps.push({ secret: secret.name, environment: secret.environment, missing, notInSync });
      else findings.complete += 1;
    } catch (error) {
      findings.unread.push({ secret: secret.name, reason: describeError(error) });
    }
  }
}
