import { randomBytes, randomUUID } from 'node:crypto';
import { RotorError } from '../../src/core/errors.js';
import { createFingerprinter, fingerprintRead, type Fingerprinter } from '../../src/providers/fingerprint.js';
import type {
  CreatedVersion,
  CreateVersionRequest,
  DisabledVersion,
  DisableVersionRequest,
  DiscoveredSecret,
  PromoteRequest,
  ProviderTarget,
  ReadOptions,
  RestoreRequest,
  SecretDescription,
  SecretProvider,
  ValueShape,
  VersionFingerprint,
  VersionSummary,
} from '../../src/providers/secret-provider.js';
import type { StoreCapabilities } from '../../src/providers/store-kind.js';
import { placeInText, shapeOfText } from '../../src/providers/value-shape.js';

/**
 * A secret store held in memory, whose behaviour follows the capability flags of the store kind
 * it stands in for: with `stagedVersions` a new version waits under a pending label, named by its
 * request token, until promoted (AWS-like); with `promotesOnCreate` a write is current at once,
 * under check-and-set, and versions are numbered (Vault-like). It lets the rotation and
 * revocation state machines run without moto or a Vault fake; the stores' own adapters keep
 * their contract tests against those.
 *
 * The labels are the ones the stood-in kind's `isPending` / `stillServes` read.
 */
export interface InMemoryLabels {
  current: string;
  pending: string;
  previous: string;
  deleted: string;
  destroyed: string;
}

/** The labels of a staging store (what the AWS kind reads) and of a store that promotes on create (what the Vault kind reads). */
export const STAGING_LABELS: InMemoryLabels = {
  current: 'AWSCURRENT',
  pending: 'AWSPENDING',
  previous: 'AWSPREVIOUS',
  deleted: 'deleted',
  destroyed: 'destroyed',
};
export const KV_LABELS: InMemoryLabels = {
  current: 'current',
  pending: 'pending',
  previous: 'previous',
  deleted: 'deleted',
  destroyed: 'destroyed',
};

interface StoredVersion {
  versionId: string;
  /** Null once destroyed. */
  value: string | null;
  labels: Set<string>;
  createdAt: string;
}

interface StoredSecret {
  versions: StoredVersion[];
  tags: Record<string, string>;
  rotationConfigured: boolean;
  lastChangedAt: string;
  lastRotatedAt: string | null;
}

export class InMemorySecretStore implements SecretProvider {
  readonly kind: string;
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly fingerprints: Fingerprinter = createFingerprinter(null);
  private readonly labels: InMemoryLabels;
  /** Every call, by method name, for tests that assert what was asked of the store. */
  readonly calls: string[] = [];

  constructor(
    kind: string,
    private readonly capabilities: StoreCapabilities,
    options: { labels?: InMemoryLabels; now?: () => string } = {},
  ) {
    this.kind = kind;
    this.labels = options.labels ?? (capabilities.stagedVersions ? STAGING_LABELS : KV_LABELS);
    this.now = options.now ?? (() => new Date(0).toISOString());
  }

  private readonly now: () => string;

  /** Puts a secret in the store with one current version (a value made at run time when none is given); returns that version's id. */
  put(ref: string, options: { value?: string; tags?: Record<string, string>; rotationConfigured?: boolean } = {}): string {
    const versionId = this.capabilities.stagedVersions ? randomUUID() : '1';
    const value = options.value ?? randomBytes(12).toString('hex');
    this.secrets.set(ref, {
      versions: [{ versionId, value, labels: new Set([this.labels.current]), createdAt: this.now() }],
      tags: options.tags ?? {},
      rotationConfigured: options.rotationConfigured ?? false,
      lastChangedAt: this.now(),
      lastRotatedAt: null,
    });
    return versionId;
  }

  /** Writes a version as a person would by hand: pending where the store stages, current otherwise. */
  writeByHand(ref: string, value: string = randomBytes(12).toString('hex')): string {
    const secret = this.secretAt(ref);
    if (this.capabilities.stagedVersions) {
      const versionId = randomUUID();
      for (const version of secret.versions) version.labels.delete(this.labels.pending);
      secret.versions.push({ versionId, value, labels: new Set([this.labels.pending]), createdAt: this.now() });
      return versionId;
    }
    return this.append(secret, value).versionId;
  }

  /** The labels of each version, by id: what the tests look at instead of the store's console. */
  labelsOf(ref: string): Record<string, string[]> {
    return Object.fromEntries(this.secretAt(ref).versions.map((version) => [version.versionId, [...version.labels].sort()]));
  }

  async validateReference(target: ProviderTarget): Promise<void> {
    this.calls.push('validateReference');
    this.secretOf(target);
  }

  async describe(target: ProviderTarget): Promise<SecretDescription> {
    this.calls.push('describe');
    const secret = this.secretOf(target);
    const summaries: VersionSummary[] = secret.versions
      .map((version) => ({ versionId: version.versionId, createdAt: version.createdAt, labels: [...version.labels] }))
      .reverse();
    const current = summaries.find((version) => version.labels.includes(this.labels.current)) ?? null;
    return {
      current,
      others: summaries.filter((version) => version !== current),
      lastRotatedAt: secret.lastRotatedAt,
      lastChangedAt: secret.lastChangedAt,
      tags: { ...secret.tags },
      location: null,
      rotationConfigured: secret.rotationConfigured,
      limits: { maxVersions: null, deleteVersionAfterSeconds: null },
    };
  }

  async describeShape(target: ProviderTarget): Promise<ValueShape> {
    const current = this.currentOf(this.secretOf(target));
    return current?.value ? shapeOfText(current.value) : { kind: 'string' };
  }

  async createVersion(target: ProviderTarget, request: CreateVersionRequest): Promise<CreatedVersion> {
    this.calls.push('createVersion');
    const secret = this.secretOf(target);
    const current = this.currentOf(secret);
    if (this.capabilities.stagedVersions) {
      const versionId = request.requestToken ?? randomUUID();
      const made = secret.versions.find((version) => version.versionId === versionId);
      if (made)
        return {
          versionId,
          fingerprint: secret.rotationConfigured ? null : this.fingerprints.of(made.value ?? ''),
          promotedOnCreate: false,
        };
      this.refuseMoved(target, current, request.expectedCurrentVersionId);
      if (secret.versions.some((version) => version.labels.has(this.labels.pending))) {
        throw new RotorError('conflict', `${target.secretName}: a pending version already exists in the store.`);
      }
      const value = placeInText(target, current?.value ?? '', request.placement, randomBytes(24).toString('base64url'));
      const fingerprint = this.fingerprints.of(value);
      await request.beforeWrite?.({ versionId, fingerprint });
      secret.versions.push({ versionId, value, labels: new Set([this.labels.pending]), createdAt: this.now() });
      secret.lastChangedAt = this.now();
      // The store's own rotation function: it makes the version it wrote current.
      if (secret.rotationConfigured) {
        this.moveCurrent(secret, versionId);
        secret.lastRotatedAt = this.now();
        return { versionId, fingerprint: null, promotedOnCreate: false };
      }
      return { versionId, fingerprint, promotedOnCreate: false };
    }
    this.refuseMoved(target, current, request.expectedCurrentVersionId);
    const base =
      [...secret.versions].reverse().find((version) => version.value !== null && !version.labels.has(this.labels.deleted))?.value ?? '';
    const value = placeInText(target, base, request.placement, randomBytes(24).toString('base64url'));
    const fingerprint = this.fingerprints.of(value);
    const versionId = String(secret.versions.length + 1);
    await request.beforeWrite?.({ versionId, fingerprint });
    this.append(secret, value);
    return { versionId, fingerprint, promotedOnCreate: this.capabilities.promotesOnCreate };
  }

  async promote(target: ProviderTarget, request: PromoteRequest): Promise<void> {
    this.calls.push('promote');
    const secret = this.secretOf(target);
    const current = this.currentOf(secret);
    if (current?.versionId === request.newVersionId) {
      this.versionOf(target, secret, request.newVersionId).labels.delete(this.labels.pending);
      return;
    }
    if (!this.capabilities.stagedVersions) throw moved(target, current?.versionId ?? null, request.newVersionId);
    this.refuseMoved(target, current, request.expectedCurrentVersionId);
    this.moveCurrent(secret, this.versionOf(target, secret, request.newVersionId).versionId);
  }

  async readCurrent(target: ProviderTarget, options: ReadOptions = {}): Promise<VersionFingerprint> {
    const current = this.currentOf(this.secretOf(target));
    if (!current?.value) throw new RotorError('provider', `${target.secretName} has no current value in the store.`);
    return { versionId: current.versionId, ...fingerprintRead(this.fingerprints, current.value, options) };
  }

  async readVersion(target: ProviderTarget, versionId: string): Promise<VersionFingerprint> {
    const version = this.versionOf(target, this.secretOf(target), versionId);
    if (version.value === null) throw new RotorError('provider', `${target.secretName}: version ${versionId} is destroyed.`);
    return { versionId, fingerprint: this.fingerprints.of(version.value) };
  }

  async restoreVersion(target: ProviderTarget, request: RestoreRequest): Promise<VersionFingerprint> {
    this.calls.push('restoreVersion');
    const secret = this.secretOf(target);
    const current = this.currentOf(secret);
    const wanted = this.versionOf(target, secret, request.versionId);
    if (current?.versionId === wanted.versionId) return this.readVersion(target, wanted.versionId);
    this.refuseMoved(target, current, request.expectedCurrentVersionId);
    if (this.capabilities.restoreByRewrite) {
      const copy = this.append(secret, wanted.value ?? '');
      return this.readVersion(target, copy.versionId);
    }
    this.moveCurrent(secret, wanted.versionId);
    return this.readVersion(target, wanted.versionId);
  }

  async deprecateVersion(target: ProviderTarget, versionId: string): Promise<void> {
    this.calls.push('deprecateVersion');
    const version = this.versionOf(target, this.secretOf(target), versionId);
    if (!this.capabilities.stagedVersions) {
      version.labels.add(this.labels.deleted);
      return;
    }
    if (version.labels.has(this.labels.current))
      throw new RotorError('conflict', `Version ${versionId} of ${target.secretName} is still current, so it cannot be deprecated.`);
    version.labels.clear();
  }

  async disableVersion(target: ProviderTarget, request: DisableVersionRequest): Promise<DisabledVersion> {
    this.calls.push('disableVersion');
    const secret = this.secretOf(target);
    const version = this.versionOf(target, secret, request.versionId);
    if (this.capabilities.disableNeedsReplacement) {
      if (version.labels.has(this.labels.current)) {
        if (!request.replacementVersionId)
          throw new RotorError(
            'conflict',
            `${target.secretName}: version ${request.versionId} is current; a replacement must be current first.`,
          );
        this.moveCurrent(secret, this.versionOf(target, secret, request.replacementVersionId).versionId);
      }
      version.labels.clear();
      return { versionId: request.versionId, action: 'labels_removed' };
    }
    if (request.destroy && this.capabilities.destroy) {
      version.value = null;
      version.labels.delete(this.labels.deleted);
      version.labels.add(this.labels.destroyed);
      return { versionId: request.versionId, action: 'destroyed' };
    }
    version.labels.add(this.labels.deleted);
    return { versionId: request.versionId, action: 'soft_deleted' };
  }

  async listForDiscovery(): Promise<DiscoveredSecret[]> {
    return [...this.secrets.entries()].map(([ref, secret]) => ({
      providerRef: ref,
      storeName: ref,
      tags: { ...secret.tags },
      lastRotatedAt: secret.lastRotatedAt,
      lastChangedAt: secret.lastChangedAt,
    }));
  }

  private append(secret: StoredSecret, value: string): StoredVersion {
    const version: StoredVersion = { versionId: String(secret.versions.length + 1), value, labels: new Set(), createdAt: this.now() };
    secret.versions.push(version);
    this.moveCurrent(secret, version.versionId);
    secret.lastChangedAt = this.now();
    return version;
  }

  /** Makes `versionId` current; a staging store keeps the one before as previous. */
  private moveCurrent(secret: StoredSecret, versionId: string): void {
    for (const version of secret.versions) {
      version.labels.delete(this.labels.previous);
      if (version.labels.delete(this.labels.current) && this.capabilities.stagedVersions) version.labels.add(this.labels.previous);
    }
    const made = secret.versions.find((version) => version.versionId === versionId);
    made?.labels.delete(this.labels.pending);
    made?.labels.add(this.labels.current);
  }

  private refuseMoved(target: ProviderTarget, current: StoredVersion | null, expected: string | null): void {
    if (expected !== null && current?.versionId !== expected) throw moved(target, current?.versionId ?? null, expected);
  }

  private currentOf(secret: StoredSecret): StoredVersion | null {
    return secret.versions.find((version) => version.labels.has(this.labels.current)) ?? null;
  }

  private secretOf(target: ProviderTarget): StoredSecret {
    return this.secretAt(target.providerRef, target.secretName);
  }

  private secretAt(ref: string, name: string = ref): StoredSecret {
    const secret = this.secrets.get(ref);
    if (!secret) throw new RotorError('provider', `${name}: no secret \`${ref}\` in the store.`);
    return secret;
  }

  private versionOf(target: ProviderTarget, secret: StoredSecret, versionId: string): StoredVersion {
    const version = secret.versions.find((candidate) => candidate.versionId === versionId);
    if (!version) throw new RotorError('provider', `${target.secretName}: no version ${versionId} in the store.`);
    return version;
  }
}

function moved(target: ProviderTarget, current: string | null, expected: string | null): RotorError {
  return new RotorError(
    'conflict',
    `${target.secretName} changed in the store meanwhile: its current version is ${current ?? 'none'}, not ${expected ?? 'none'}.`,
  );
}
