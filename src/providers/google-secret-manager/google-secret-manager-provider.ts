import { ValidationError } from '../../core/errors.js';
import { asGoogleLabels } from '../provenance-tags.js';
import type {
  CreatedVersion,
  CreateVersionRequest,
  DisabledVersion,
  DisableVersionRequest,
  DiscoveredSecret,
  DiscoveryFilter,
  FindWriteRequest,
  FoundWrite,
  PromoteRequest,
  ProviderTarget,
  ReadOptions,
  RestoreRequest,
  SecretDescription,
  SecretProvider,
  ValueShape,
  VersionFingerprint,
} from '../secret-provider.js';
import { GoogleSecretManagerStore, PENDING_ALIAS, type GsmStoreOptions, type GsmTarget } from './google-secret-manager-store.js';

export const GOOGLE_STORE_KIND = 'google';

/**
 * Google Secret Manager behind the provider port. Every secret is read the one way the policy
 * says (`google_secret_manager.version_alias`): through that version alias, which promote moves,
 * or through `latest` when none is named, which makes an added version current at once.
 */
export class GoogleSecretManagerProvider implements SecretProvider {
  readonly kind = GOOGLE_STORE_KIND;
  private readonly store: GoogleSecretManagerStore;

  constructor(
    options: GsmStoreOptions,
    /** The alias consumers read, or null for `latest`. */
    readonly versionAlias: string | null,
  ) {
    this.store = new GoogleSecretManagerStore(options);
  }

  validateReference(target: ProviderTarget): Promise<void> {
    return this.store.validateReference(this.at(target));
  }

  describe(target: ProviderTarget): Promise<SecretDescription> {
    return this.store.describe(this.at(target));
  }

  describeShape(target: ProviderTarget): Promise<ValueShape> {
    return this.store.describeShape(this.at(target));
  }

  createVersion(target: ProviderTarget, request: CreateVersionRequest): Promise<CreatedVersion> {
    return this.store.createVersion(this.at(target), request);
  }

  findWrite(target: ProviderTarget, request: FindWriteRequest): Promise<FoundWrite> {
    return this.store.findWrite(this.at(target), request);
  }

  promote(target: ProviderTarget, request: PromoteRequest): Promise<void> {
    return this.store.promote(this.at(target), request);
  }

  readCurrent(target: ProviderTarget, options?: ReadOptions): Promise<VersionFingerprint> {
    return this.store.readCurrent(this.at(target), options);
  }

  readVersion(target: ProviderTarget, versionId: string): Promise<VersionFingerprint> {
    return this.store.readVersion(this.at(target), versionId);
  }

  restoreVersion(target: ProviderTarget, request: RestoreRequest): Promise<VersionFingerprint> {
    return this.store.restoreVersion(this.at(target), request);
  }

  /**
   * Disables a version nobody reads any more: the previous one after the retention window, or an
   * abandoned one, whose `rotor-pending` alias is dropped first (an alias naming it would refuse).
   */
  async deprecateVersion(target: ProviderTarget, versionId: string): Promise<void> {
    const at = this.at(target);
    if (at.versionAlias) {
      const pending = (await this.store.describe(at)).others.find((version) => version.labels.includes(`alias:${PENDING_ALIAS}`));
      if (pending?.versionId === versionId) await this.store.discardPending(at);
    }
    await this.store.deprecateVersion(at, versionId);
  }

  async disableVersion(target: ProviderTarget, request: DisableVersionRequest): Promise<DisabledVersion> {
    const disabled = await this.store.disableVersion(this.at(target), request);
    const destroyed = disabled.action === 'destroyed' || disabled.action === 'already_destroyed';
    return { versionId: disabled.versionId, action: destroyed ? 'destroyed' : 'disabled' };
  }

  /** Secrets of `--project` (and `--location`, for regional ones) carrying the label `--tag-key`. */
  async listForDiscovery(filter: DiscoveryFilter): Promise<DiscoveredSecret[]> {
    if (!filter.project)
      throw new ValidationError(
        'Discovery in Google Secret Manager needs the project to list: add --project <project id> (and --location <location> for regional secrets).',
        [{ where: '--project', message: 'required with --provider google' }],
      );
    return this.store.listForDiscovery({
      project: filter.project,
      ...(filter.location ? { location: filter.location } : {}),
      ...(filter.tagKey ? { labelKey: filter.tagKey } : {}),
    });
  }

  /** Provenance as labels on the secret, in the characters Google accepts (`U0123ABCD` becomes `u0123abcd`). */
  writeProvenance(target: ProviderTarget, tags: Record<string, string>): Promise<void> {
    return this.store.labelSecret(this.at(target), asGoogleLabels(tags));
  }

  private at(target: ProviderTarget): GsmTarget {
    return { secretName: target.secretName, providerRef: target.providerRef, versionAlias: this.versionAlias };
  }
}
