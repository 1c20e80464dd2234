import { DateTime } from 'luxon';
import { actorId, type Actor } from '../access/actor.js';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import { RotorError } from '../core/errors.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { Secret } from '../inventory/secret.js';
import type { ProviderRegistry } from './provider-registry.js';
import { decidePlacement, type PlacementDecision } from '../rotation/value-field.js';
import type { CreatedVersion, DisabledVersion, SecretDescription, ValuePlacement, VersionFingerprint, WriteIntent } from './secret-provider.js';

export interface ProviderOperationsDeps {
  inventoryService: InventoryService;
  audit: AuditLog;
  registry: ProviderRegistry;
  clock: Clock;
  policy: Policy;
  logger?: Logger;
}

/**
 * The provider steps of a rotation and a revocation, for the flows (and Slack buttons) that
 * call them one at a time. Each step either completes at the provider and is then recorded in
 * the audit log, or fails with a message and records nothing, so a failed step can simply be
 * run again. Log lines and audit events carry version ids and fingerprints, never values.
 */
export class ProviderOperationsService {
  constructor(private readonly deps: ProviderOperationsDeps) {}

  /** Checks the reference and that the secret exists and is readable; returns what the provider reports. */
  async validate(name: string): Promise<SecretDescription> {
    const { provider, target } = this.resolve(name);
    await provider.validateReference(target);
    return provider.describe(target);
  }

  /**
   * Where a generated value would go in the secret's current value (read and judged at the
   * provider: only its shape comes back), or why Rotor cannot tell, with how to tell it.
   */
  async valuePlacement(name: string): Promise<PlacementDecision> {
    const secret = this.deps.inventoryService.require(name);
    const { provider, target } = this.resolve(name);
    return decidePlacement(secret, this.deps.policy, await provider.describeShape(target));
  }

  /**
   * Creates a version that is not yet current (AWS: `AWSPENDING`). `expectedCurrentVersionId`
   * defaults to the inventory's; `requestToken` makes a retried call find the version it made;
   * `placement` (see `valuePlacement`) keeps the current value's shape; `beforeWrite` is told the
   * version and fingerprint before the write.
   */
  async createVersion(
    name: string,
    actor: Actor,
    options: { expectedCurrentVersionId?: string | null; requestToken?: string; placement?: ValuePlacement; beforeWrite?: (intent: WriteIntent) => Promise<void> | void } = {},
  ): Promise<CreatedVersion> {
    const secret = this.deps.inventoryService.require(name);
    const { provider, target } = this.resolve(name);
    const expected = options.expectedCurrentVersionId === undefined ? secret.currentVersionId : options.expectedCurrentVersionId;
    const created = await provider.createVersion(target, {
      expectedCurrentVersionId: expected,
      ...(options.requestToken ? { requestToken: options.requestToken } : {}),
      ...(options.placement ? { placement: options.placement } : {}),
      ...(options.beforeWrite ? { beforeWrite: options.beforeWrite } : {}),
    });
    this.record(actor, 'provider.version_created', name, {
      provider: provider.kind,
      versionId: created.versionId,
      fingerprint: created.fingerprint,
      previousVersionId: expected,
      ...(options.placement ? { placement: options.placement } : {}),
    });
    return created;
  }

  /** Reads one version's id and fingerprint (e.g. one a person wrote); records nothing. */
  async readVersion(name: string, versionId: string): Promise<VersionFingerprint> {
    const { provider, target } = this.resolve(name);
    return provider.readVersion(target, versionId);
  }

  /**
   * The current version, when it is `expected.versionId` and holds the value `expected.fingerprint`
   * was made of (compared in memory, in any scheme Rotor wrote); null otherwise. Records nothing.
   */
  async currentIs(name: string, expected: { versionId: string; fingerprint: string }): Promise<VersionFingerprint | null> {
    const { provider, target } = this.resolve(name);
    const read = await provider.readCurrent(target, { compareWith: expected.fingerprint });
    return read.versionId === expected.versionId && read.sameValue === true ? { versionId: read.versionId, fingerprint: read.fingerprint } : null;
  }

  /** Makes an earlier version current again (rollback). */
  async restore(name: string, request: { versionId: string; expectedCurrentVersionId: string | null }, actor: Actor): Promise<VersionFingerprint> {
    const { provider, target } = this.resolve(name);
    const restored = await provider.restoreVersion(target, request);
    this.record(actor, 'provider.version_restored', name, { provider: provider.kind, restoredVersionId: request.versionId, currentVersionId: restored.versionId, fingerprint: restored.fingerprint });
    return restored;
  }

  /** Takes a version that never became current out of the store's way (an abandoned `AWSPENDING`). */
  async discard(name: string, versionId: string, actor: Actor): Promise<void> {
    const { provider, target } = this.resolve(name);
    await provider.deprecateVersion(target, versionId);
    this.record(actor, 'provider.version_discarded', name, { provider: provider.kind, versionId });
  }

  async promote(name: string, request: { newVersionId: string; expectedCurrentVersionId: string | null }, actor: Actor): Promise<void> {
    const { provider, target } = this.resolve(name);
    await provider.promote(target, request);
    this.record(actor, 'provider.version_promoted', name, { provider: provider.kind, versionId: request.newVersionId, previousVersionId: request.expectedCurrentVersionId });
  }

  /**
   * Reads the current version back and compares it with what was created: same version id,
   * and the same value when Rotor generated it (compared in memory against the fingerprint, in
   * whichever scheme it was made). On a match the inventory records the version id and the
   * current fingerprint; on a mismatch nothing is recorded.
   */
  async verify(name: string, expected: { versionId: string; fingerprint: string | null }, actor: Actor): Promise<VersionFingerprint> {
    const { provider, target } = this.resolve(name);
    const read = await provider.readCurrent(target, { compareWith: expected.fingerprint });
    const current: VersionFingerprint = { versionId: read.versionId, fingerprint: read.fingerprint };
    if (current.versionId !== expected.versionId) {
      throw new RotorError('conflict', `${name}: the provider's current version is ${current.versionId}, not ${expected.versionId}. Promote the new version first, or run \`rotor sync\` if someone rotated it meanwhile.`);
    }
    if (expected.fingerprint !== null && read.sameValue !== true) {
      throw new RotorError('conflict', `${name}: version ${current.versionId} does not hold the value Rotor wrote (fingerprints differ). Someone changed it; create a new version again.`);
    }
    this.deps.inventoryService.recordVersion(name, current, actor, 'provider.version_verified', { provider: provider.kind });
    return current;
  }

  /**
   * Removes the previous version once the retention window after promotion has passed; before
   * that it refuses and says when it may run.
   */
  async deprecatePrevious(name: string, request: { previousVersionId: string; promotedAt: string }, actor: Actor): Promise<void> {
    const { provider, target } = this.resolve(name);
    const allowedFrom = DateTime.fromISO(request.promotedAt, { zone: 'utc' }).plus({ hours: this.deps.policy.retentionHours });
    if (!allowedFrom.isValid) throw new RotorError('validation', `${name}: \`${request.promotedAt}\` is not an ISO time of promotion.`);
    if (this.deps.clock.now() < allowedFrom) {
      throw new RotorError('conflict', `The previous version of ${name} is kept until ${allowedFrom.toISO()} (retention ${this.deps.policy.retentionHours} h after promotion); remove it after that.`);
    }
    await provider.deprecateVersion(target, request.previousVersionId);
    this.record(actor, 'provider.version_deprecated', name, { provider: provider.kind, versionId: request.previousVersionId });
  }

  /** For `/revoke`: disables the compromised version at the provider. */
  async disableCompromised(name: string, request: { versionId: string; replacementVersionId?: string | null; destroy?: boolean }, actor: Actor): Promise<DisabledVersion> {
    const { provider, target } = this.resolve(name);
    const disabled = await provider.disableVersion(target, request);
    this.record(actor, 'provider.version_disabled', name, { provider: provider.kind, versionId: disabled.versionId, action: disabled.action });
    return disabled;
  }

  private resolve(name: string) {
    const secret: Secret = this.deps.inventoryService.require(name);
    return this.deps.registry.resolve(secret);
  }

  private record(actor: Actor, action: string, secret: string, details: Record<string, unknown>): void {
    this.deps.audit.log({ actor: actorId(actor), action, secret, details });
    this.deps.logger?.info({ action, secret, ...details }, action);
  }
}
