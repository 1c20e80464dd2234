import { DateTime } from 'luxon';
import { actorId, type Actor } from '../access/actor.js';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import type { Policy } from '../config/policy.js';
import type { Clock } from '../core/clock.js';
import { RotorError } from '../core/errors.js';
import type { InventoryService } from '../inventory/inventory-service.js';
import type { ProviderRegistry } from './provider-registry.js';
import { decidePlacement, type PlacementDecision } from '../rotation/checklists/value-field.js';
import type {
  CreatedVersion,
  DisabledVersion,
  FindWriteRequest,
  FoundWrite,
  RetiredVersion,
  RetireOptions,
  SecretDescription,
  ValuePlacement,
  VersionFingerprint,
  WriteIntent,
} from './secret-provider.js';
import { describeBinding, sameBinding, type StoreBinding } from './store-binding.js';

/** A removed version the store deletes later: its deletion date (the store's) and the rollback window (Rotor's clock). */
export interface Retirement {
  deletionDate: string;
  recoverableUntil: string;
}

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
 *
 * Every call names its store secret by a StoreBinding, never by the inventory name alone: a
 * flow passes the reference it captured when it started, so what the inventory says now (an
 * owner's edit in the middle of a rotation) never decides which store secret is changed.
 */
export class ProviderOperationsService {
  constructor(private readonly deps: ProviderOperationsDeps) {}

  /** Checks the reference and that the secret exists and is readable; returns what the provider reports. */
  async validate(bound: StoreBinding): Promise<SecretDescription> {
    const { provider, target } = this.resolve(bound);
    await provider.validateReference(target);
    return provider.describe(target);
  }

  /**
   * Where a generated value would go in the secret's current value (read and judged at the
   * provider: only its shape comes back), or why Rotor cannot tell, with how to tell it.
   */
  async valuePlacement(bound: StoreBinding): Promise<PlacementDecision> {
    const secret = this.deps.inventoryService.require(bound.name);
    const { store, provider, target } = this.resolve(bound);
    return decidePlacement(secret, this.deps.policy, await provider.describeShape(target), store);
  }

  /**
   * Creates a version that is not yet current (AWS: `AWSPENDING`). `expectedCurrentVersionId`
   * defaults to the inventory's; `requestToken` makes a retried call find the version it made;
   * `placement` (see `valuePlacement`) keeps the current value's shape; `beforeWrite` is told the
   * version and fingerprint before the write.
   */
  async createVersion(
    bound: StoreBinding,
    actor: Actor,
    options: {
      expectedCurrentVersionId?: string | null;
      requestToken?: string;
      placement?: ValuePlacement;
      beforeWrite?: (intent: WriteIntent) => Promise<void> | void;
      earlierIntent?: WriteIntent | null;
    } = {},
  ): Promise<CreatedVersion> {
    const { provider, target } = this.resolve(bound);
    const expected =
      options.expectedCurrentVersionId === undefined
        ? this.deps.inventoryService.require(bound.name).currentVersionId
        : options.expectedCurrentVersionId;
    const created = await provider.createVersion(target, {
      now: this.deps.clock.now().toUTC().toISO() as string,
      expectedCurrentVersionId: expected,
      ...(options.requestToken ? { requestToken: options.requestToken } : {}),
      ...(options.placement ? { placement: options.placement } : {}),
      ...(options.beforeWrite ? { beforeWrite: options.beforeWrite } : {}),
      ...(options.earlierIntent ? { earlierIntent: options.earlierIntent } : {}),
    });
    this.record(actor, 'provider.version_created', bound, {
      versionId: created.versionId,
      fingerprint: created.fingerprint,
      previousVersionId: expected,
      ...(options.placement ? { placement: options.placement } : {}),
    });
    return created;
  }

  /**
   * What a store that numbers versions itself shows of a create run whose outcome was never
   * recorded (see SecretProvider.findWrite); null where the request token names the version. Records nothing.
   */
  async findWrite(bound: StoreBinding, request: FindWriteRequest): Promise<FoundWrite | null> {
    const { provider, target } = this.resolve(bound);
    return provider.findWrite ? provider.findWrite(target, request) : null;
  }

  /** Reads one version's id and fingerprint (e.g. one a person wrote); records nothing. */
  async readVersion(bound: StoreBinding, versionId: string): Promise<VersionFingerprint> {
    const { provider, target } = this.resolve(bound);
    return provider.readVersion(target, versionId);
  }

  /**
   * The current version, when it is `expected.versionId` and holds the value `expected.fingerprint`
   * was made of (compared in memory, in any scheme Rotor wrote); null otherwise. Records nothing.
   */
  async currentIs(bound: StoreBinding, expected: { versionId: string; fingerprint: string }): Promise<VersionFingerprint | null> {
    const { provider, target } = this.resolve(bound);
    const read = await provider.readCurrent(target, { compareWith: expected.fingerprint });
    return read.versionId === expected.versionId && read.sameValue === true
      ? { versionId: read.versionId, fingerprint: read.fingerprint }
      : null;
  }

  /** Makes an earlier version current again (rollback). */
  async restore(
    bound: StoreBinding,
    request: { versionId: string; expectedCurrentVersionId: string | null },
    actor: Actor,
  ): Promise<VersionFingerprint> {
    const { provider, target } = this.resolve(bound);
    const restored = await provider.restoreVersion(target, request);
    this.record(actor, 'provider.version_restored', bound, {
      restoredVersionId: request.versionId,
      currentVersionId: restored.versionId,
      fingerprint: restored.fingerprint,
      ...(restored.checks ? { checks: restored.checks } : {}),
    });
    return restored;
  }

  /** Takes a version that never became current out of the store's way (an abandoned `AWSPENDING`). */
  async discard(bound: StoreBinding, versionId: string, actor: Actor): Promise<void> {
    const { provider, target } = this.resolve(bound);
    const retired = await provider.deprecateVersion(target, versionId, this.retireOptions());
    this.record(actor, 'provider.version_discarded', bound, { versionId, ...(retired ? this.retirement(retired) : {}) });
  }

  async promote(
    bound: StoreBinding,
    request: { newVersionId: string; expectedCurrentVersionId: string | null },
    actor: Actor,
  ): Promise<void> {
    const { provider, target } = this.resolve(bound);
    await provider.promote(target, request);
    this.record(actor, 'provider.version_promoted', bound, {
      versionId: request.newVersionId,
      previousVersionId: request.expectedCurrentVersionId,
    });
  }

  /**
   * Reads the current version back and compares it with what was created: same version id,
   * and the same value when Rotor generated it (compared in memory against the fingerprint, in
   * whichever scheme it was made). On a match the inventory records the version id and the
   * current fingerprint; on a mismatch nothing is recorded.
   */
  async verify(
    bound: StoreBinding,
    expected: { versionId: string; fingerprint: string | null },
    actor: Actor,
  ): Promise<VersionFingerprint> {
    const name = bound.name;
    const { provider, target } = this.resolve(bound);
    const read = await provider.readCurrent(target, { compareWith: expected.fingerprint, everyReplica: true });
    const current: VersionFingerprint = { versionId: read.versionId, fingerprint: read.fingerprint };
    if (current.versionId !== expected.versionId) {
      throw new RotorError(
        'conflict',
        `${name}: the provider's current version is ${current.versionId}, not ${expected.versionId}. Promote the new version first, or run \`rotor sync\` if someone rotated it meanwhile.`,
      );
    }
    if (expected.fingerprint !== null && read.sameValue !== true) {
      throw new RotorError(
        'conflict',
        `${name}: version ${current.versionId} does not hold the value Rotor wrote (fingerprints differ). Someone changed it; create a new version again.`,
      );
    }
    // The inventory records the version only while it still points where the flow does.
    const secret = this.deps.inventoryService.require(name);
    if (!sameBinding(secret, bound)) {
      throw new RotorError(
        'conflict',
        `${name} now points at ${describeBinding(secret)} in the inventory, not at ${describeBinding(bound)}, where this flow works; the version read there is not recorded. Abandon this rotation and start again.`,
      );
    }
    this.deps.inventoryService.recordVersion(name, current, actor, 'provider.version_verified', {
      provider: provider.kind,
      ...(read.checks ? { checks: read.checks } : {}),
    });
    return read.checks ? { ...current, checks: read.checks } : current;
  }

  /**
   * Removes the previous version once the retention window after promotion has passed; before
   * that it refuses and says when it may run.
   */
  async deprecatePrevious(
    bound: StoreBinding,
    request: { previousVersionId: string; promotedAt: string },
    actor: Actor,
  ): Promise<Retirement | null> {
    const name = bound.name;
    const { provider, target } = this.resolve(bound);
    const allowedFrom = DateTime.fromISO(request.promotedAt, { zone: 'utc' }).plus({ hours: this.deps.policy.retentionHours });
    if (!allowedFrom.isValid) throw new RotorError('validation', `${name}: \`${request.promotedAt}\` is not an ISO time of promotion.`);
    if (this.deps.clock.now() < allowedFrom) {
      throw new RotorError(
        'conflict',
        `The previous version of ${name} is kept until ${allowedFrom.toISO()} (retention ${this.deps.policy.retentionHours} h after promotion); remove it after that.`,
      );
    }
    const retired = await provider.deprecateVersion(target, request.previousVersionId, this.retireOptions());
    const retirement = retired ? this.retirement(retired) : null;
    this.record(actor, 'provider.version_deprecated', bound, { versionId: request.previousVersionId, ...retirement });
    return retirement;
  }

  /**
   * For `/revoke`: disables the compromised version at the provider, then reads the store back:
   * a disable the store does not show (the version still current or still labelled) is an error,
   * so the step is run again until it holds.
   */
  async disableCompromised(
    bound: StoreBinding,
    request: { versionId: string; replacementVersionId?: string | null; destroy?: boolean },
    actor: Actor,
  ): Promise<DisabledVersion> {
    const { provider, target } = this.resolve(bound);
    const disabled = await provider.disableVersion(target, request);
    const still = await this.stillInService(bound, request.versionId);
    if (still)
      throw new RotorError(
        'provider',
        `${bound.name}: the store still shows version ${request.versionId} in service (${still}) after disabling it; Rotor tries again.`,
      );
    this.record(actor, 'provider.version_disabled', bound, { versionId: disabled.versionId, action: disabled.action });
    return disabled;
  }

  /** Why the store still serves `versionId` (the store says: current, labelled, not deleted…), or null when it is out of service. */
  async stillInService(bound: StoreBinding, versionId: string): Promise<string | null> {
    const description = await this.validate(bound);
    const version = [...(description.current ? [description.current] : []), ...description.others].find(
      (candidate) => candidate.versionId === versionId,
    );
    if (!version) return null;
    return this.resolve(bound).store.stillServes(version, description.current?.versionId === versionId);
  }

  /**
   * Lends a version's value to `use` inside the store's call (see SecretProvider.lendValue):
   * the target steps read the credential to set, or the managing credential, at the moment they
   * need it. Records nothing; refuses a store whose values Rotor does not read.
   */
  async lendValue<T>(bound: StoreBinding, versionId: string | null, use: (text: string) => Promise<T>): Promise<T> {
    const { provider, target, store } = this.resolve(bound);
    if (!provider.lendValue)
      throw new RotorError(
        'validation',
        `${bound.name} is kept in ${store.label}, whose values Rotor never reads, so Rotor cannot set it at a target: keep it in a store Rotor reads (AWS Secrets Manager, Vault).`,
      );
    return provider.lendValue(target, versionId, use);
  }

  /** Whether the binding's store lends values to the target steps (AWS, Vault: yes; by hand: no). */
  lendsValues(bound: StoreBinding): boolean {
    return this.resolve(bound).provider.lendValue !== undefined;
  }

  /** The store's deletion date, and until when (by Rotor's clock) a rollback can still bring the version back. */
  private retirement(retired: RetiredVersion): Retirement {
    const until = this.deps.clock.now().toUTC().plus({ days: retired.recoverableDays });
    return { deletionDate: retired.deletionDate, recoverableUntil: until.toISO() as string };
  }

  /** The policy's choices for how a store retires a version (KMS: the pending deletion window). */
  private retireOptions(): RetireOptions {
    return { pendingWindowDays: this.deps.policy.kms.pendingWindowDays };
  }

  private resolve(bound: StoreBinding) {
    return this.deps.registry.resolve(bound);
  }

  private record(actor: Actor, action: string, bound: StoreBinding, details: Record<string, unknown>): void {
    const full = { provider: bound.provider, ...details };
    this.deps.audit.log({ actor: actorId(actor), action, secret: bound.name, details: full });
    this.deps.logger?.info({ action, secret: bound.name, ...full }, action);
  }
}
