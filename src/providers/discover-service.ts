import type { Actor } from '../access/actor.js';
import type { Logger } from 'pino';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import { loadedOnFirstUse } from '../core/load-code.js';
import type { ImportReport } from '../import-export/import-service.js';
import type { SourceRow } from '../import-export/source-row.js';
import type { PlannedChange } from '../inventory/inventory-service.js';
import type { ProviderKind } from '../inventory/secret.js';
import { canonicalRecord, normalizeKey } from '../inventory/secret-fields.js';
import type { Services } from '../services.js';
import type { ProviderRegistry } from './provider-registry.js';
import { StoreKeyIndex, storeKeyOf } from './store-key.js';
import type { DiscoveredSecret } from './secret-provider.js';

/** Tag keys (AWS tags, Vault `custom_metadata`) may carry this prefix: `rotor:owner`, `rotor:type`, … */
export const TAG_PREFIX = 'rotor:';

export interface DiscoverOptions {
  provider: ProviderKind;
  tagKey?: string;
  mount?: string;
  /** Google: the project to list, and the location of regional secrets. */
  project?: string;
  location?: string;
  /** Write the valid proposals; without it discovery only proposes. */
  apply?: boolean;
  actor: Actor;
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
  services: Services;
  registry: ProviderRegistry;
  logger?: Logger;
}

/** The import's validation (and its file parsers): loaded by the first discovery, a CLI command, not with every bot. */
const importService = loadedOnFirstUse('discovering secrets', () => import('../import-export/import-service.js'));

/**
 * Proposes inventory entries for secrets found in a provider, from their tags or
 * `custom_metadata`: `rotor:name` (else the store's own name), `rotor:owner`, `rotor:type`,
 * `rotor:interval_days`, … — any inventory field, with or without the prefix. The rows go
 * through the import's validation (`importRows`, valid rows only); nothing is written
 * without `apply`.
 */
export class ProviderDiscoverService {
  constructor(private readonly deps: DiscoverDeps) {}

  async run(options: DiscoverOptions): Promise<DiscoverReport> {
    const { services } = this.deps;
    const { importRows } = await importService();
    const provider = this.deps.registry.providerFor(options.provider, 'Discovery');
    const found = await provider.listForDiscovery({
      tagKey: options.tagKey,
      mount: options.mount,
      ...(options.project ? { project: options.project } : {}),
      ...(options.location ? { location: options.location } : {}),
    });
    // Compared in canonical form: an entry written `us-east-1:prod/app/db` tracks the secret whose ARN discovery finds.
    const { stores } = this.deps.registry;
    const tracked = new StoreKeyIndex<string>(stores);
    for (const secret of services.inventory.list({ includeRetired: true }, services.clock.now(), 0)) {
      const key = secret.provider === options.provider ? storeKeyOf(stores, secret.provider, secret.providerRef) : null;
      if (key) tracked.add(key, secret.name);
    }
    const report: DiscoverReport = { applied: false, proposals: [], rejected: [], known: [] };
    const rows: SourceRow[] = [];
    const refByLine = new Map<number, string>();
    for (const secret of found) {
      const row = this.rowFor(secret, options.provider);
      const key = storeKeyOf(stores, options.provider, secret.providerRef);
      const knownAs = (key ? tracked.find(key)[0] : undefined) ?? (services.inventory.get(String(row.name)) ? String(row.name) : undefined);
      if (knownAs) {
        report.known.push({ providerRef: secret.providerRef, name: knownAs });
        continue;
      }
      const line = rows.length + 1;
      refByLine.set(line, secret.providerRef);
      rows.push({ line, record: canonicalRecord(row).record });
    }
    let imported: ImportReport | null = null;
    let issues: ValidationIssue[] = [];
    try {
      imported = importRows(rows, services, {
        partial: true,
        dryRun: !options.apply,
        actor: options.actor,
        source: `discover:${options.provider}`,
      });
      issues = imported.rejected;
    } catch (error) {
      // Every row invalid: nothing to write, but each problem still goes in the report.
      if (!(error instanceof ValidationError)) throw error;
      issues = [...error.issues];
    }
    for (const [line, providerRef] of refByLine) {
      const own = issues
        .filter((issue) => issue.line === line)
        .map((issue) => ({ where: issue.where.replace(/^line \d+, /, ''), message: issue.message }));
      if (own.length > 0) report.rejected.push({ providerRef, issues: withTagHints(own) });
    }
    report.proposals = imported?.changes.filter((change) => change.kind === 'add') ?? [];
    report.applied = (imported?.written ?? false) && report.proposals.length > 0;
    this.deps.logger?.info(
      {
        provider: options.provider,
        found: found.length,
        proposals: report.proposals.length,
        rejected: report.rejected.length,
        applied: report.applied,
      },
      'provider discovery finished',
    );
    return report;
  }

  /** One import row from a discovered secret: its tags mapped onto inventory fields. */
  private rowFor(secret: DiscoveredSecret, provider: ProviderKind): Record<string, unknown> {
    const row: Record<string, unknown> = { name: secret.storeName };
    for (const [key, value] of Object.entries(secret.tags)) {
      const field = normalizeKey(key.startsWith(TAG_PREFIX) ? key.slice(TAG_PREFIX.length) : key);
      if (field !== 'provider' && field !== 'provider_ref' && field !== 'tags') row[field] = value;
    }
    return { ...row, provider, provider_ref: secret.providerRef };
  }
}

function withTagHints(issues: ValidationIssue[]): ValidationIssue[] {
  return issues.map((issue) =>
    issue.where === 'name' ? { ...issue, message: `${issue.message} (or tag the secret with ${TAG_PREFIX}name)` } : issue,
  );
}
