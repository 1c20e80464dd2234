import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Policy } from '../config/policy.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { InventoryService, PlannedChange } from '../inventory/inventory-service.js';
import { canonicalRecord, normalizeKey, parseSecretFields, type SecretFields } from '../inventory/secret-fields.js';
import type { ValidationIssue } from '../core/errors.js';
import type { ProviderRegistry } from './provider-registry.js';
import type { DiscoveredSecret } from './secret-provider.js';
import type { StoreKind } from './sync-service.js';

/** Tag keys (AWS tags, Vault `custom_metadata`) may carry this prefix: `rotor:owner`, `rotor:type`, … */
export const TAG_PREFIX = 'rotor:';

export interface DiscoverOptions {
  provider: StoreKind;
  tagKey?: string;
  mount?: string;
  /** Write the valid proposals; without it discovery only proposes. */
  apply?: boolean;
  actor: string;
}

export interface DiscoverReport {
  applied: boolean;
  /** New inventory entries, valid and ready to add. */
  proposals: PlannedChange[];
  /** Secrets found that cannot become entries as tagged, each with what to fix. */
  rejected: { providerRef: string; issues: ValidationIssue[] }[];
  /** Secrets found that the inventory already tracks. */
  known: { providerRef: string; name: string }[];
}

export interface DiscoverDeps {
  inventory: InventoryRepo;
  inventoryService: InventoryService;
  registry: ProviderRegistry;
  clock: Clock;
  policy: Policy;
  logger?: Logger;
}

/**
 * Proposes inventory entries for secrets found in a provider, from their tags or
 * `custom_metadata`: `rotor:name` (else the store's own name), `rotor:owner`, `rotor:type`,
 * `rotor:interval_days`, … — any inventory field, with or without the prefix. Rows go through
 * the same validation and plan as an import; only valid rows are ever written, and only with
 * `apply`.
 */
export class ProviderDiscoverService {
  constructor(private readonly deps: DiscoverDeps) {}

  async run(options: DiscoverOptions): Promise<DiscoverReport> {
    const provider = this.deps.registry.providerFor(options.provider, `discovery in ${options.provider}`);
    const found = await provider.listForDiscovery({ tagKey: options.tagKey, mount: options.mount });
    const known = new Map(
      this.deps.inventory
        .list({ includeRetired: true }, this.deps.clock.now(), 0)
        .filter((secret) => secret.provider === options.provider && secret.providerRef)
        .map((secret) => [secret.providerRef as string, secret.name]),
    );
    const report: DiscoverReport = { applied: false, proposals: [], rejected: [], known: [] };
    const rows: { providerRef: string; fields: SecretFields }[] = [];
    for (const secret of found) {
      const knownAs = known.get(secret.providerRef) ?? known.get(secret.storeName);
      if (knownAs) {
        report.known.push({ providerRef: secret.providerRef, name: knownAs });
        continue;
      }
      const parsed = parseSecretFields(canonicalRecord(this.rowFor(secret, options.provider)).record, this.deps.policy, this.deps.clock.now());
      if (!parsed.fields) report.rejected.push({ providerRef: secret.providerRef, issues: withTagHints(parsed.issues) });
      else if (this.deps.inventory.get(parsed.fields.name)) report.known.push({ providerRef: secret.providerRef, name: parsed.fields.name });
      else rows.push({ providerRef: secret.providerRef, fields: parsed.fields });
    }
    const plan = this.deps.inventoryService.plan(rows.map((row) => row.fields));
    const invalid = new Set(plan.issues.map((issue) => issue.index));
    for (const index of invalid) {
      const row = rows[index] as { providerRef: string };
      report.rejected.push({ providerRef: row.providerRef, issues: plan.issues.filter((issue) => issue.index === index).map((issue) => ({ where: issue.field, message: issue.message })) });
    }
    report.proposals = plan.changes.filter((change) => change.kind === 'add');
    if (options.apply && report.proposals.length > 0) {
      this.deps.inventoryService.apply(report.proposals, options.actor, `discover:${options.provider}`);
      report.applied = true;
    }
    this.deps.logger?.info({ provider: options.provider, found: found.length, proposals: report.proposals.length, rejected: report.rejected.length, applied: report.applied }, 'provider discovery finished');
    return report;
  }

  /** One import row from a discovered secret: its tags mapped onto inventory fields. */
  private rowFor(secret: DiscoveredSecret, provider: StoreKind): Record<string, unknown> {
    const row: Record<string, unknown> = { name: secret.storeName };
    for (const [key, value] of Object.entries(secret.tags)) {
      const field = normalizeKey(key.startsWith(TAG_PREFIX) ? key.slice(TAG_PREFIX.length) : key);
      if (field !== 'provider' && field !== 'provider_ref' && field !== 'tags') row[field] = value;
    }
    return { ...row, provider, provider_ref: secret.providerRef };
  }
}

function withTagHints(issues: ValidationIssue[]): ValidationIssue[] {
  return issues.map((issue) => (issue.where === 'name' ? { ...issue, message: `${issue.message} (or tag the secret with ${TAG_PREFIX}name)` } : issue));
}
