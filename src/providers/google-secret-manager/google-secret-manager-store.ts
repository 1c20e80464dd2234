import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { OutcomeUnknownError, RotorError, ValidationError } from '../../core/errors.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../call-with-retry.js';
import { createFingerprinter, fingerprintRead, type Fingerprinter } from '../fingerprint.js';
import { generateValue } from '../generated-value.js';
import type {
  CreatedVersion,
  CreateVersionRequest,
  DiscoveredSecret,
  FindWriteRequest,
  FoundWrite,
  PromoteRequest,
  ProviderTarget,
  ReadOptions,
  RestoreRequest,
  SecretDescription,
  ValueShape,
  VersionFingerprint,
  VersionSummary,
  WriteIntent,
} from '../secret-provider.js';
import { placeInText, shapeOfText } from '../value-shape.js';
import { crc32c } from './crc32c.js';
import type { GoogleAccessTokenSource } from './google-access-token.js';
import { answerMayBeLost, translateGoogleError } from './gsm-errors.js';
import {
  accessResponse,
  listSecretsResponse,
  listVersionsResponse,
  secretResource,
  versionNumberOf,
  versionResource,
  type SecretResource,
  type VersionResource,
} from './gsm-resources.js';
import { GsmRestClient, type GsmRequest } from './gsm-rest-client.js';
import { formatGsmSecretRef, parseGsmSecretRef, validateVersionAlias, type GsmSecretRef } from './gsm-secret-ref.js';

/** The alias a created version waits under until it is promoted, like AWS's `AWSPENDING`. */
export const PENDING_ALIAS = 'rotor-pending';
/** The secret annotation holding the request token of the version under the pending alias. */
export const PENDING_TOKEN_ANNOTATION = 'rotor-pending-token';

/**
 * A Google secret and how consumers read it: through a version alias the policy names
 * (`current`), which Rotor moves to promote, or through `latest` (alias null), which makes a
 * new version current the moment it is added, as Vault does.
 */
export interface GsmTarget extends ProviderTarget {
  versionAlias: string | null;
}

export interface GsmDisabledVersion {
  versionId: string;
  action: 'disabled' | 'destroyed' | 'already_disabled' | 'already_destroyed';
  /** Other aliases that still name the version; consumers reading them now fail. */
  aliasesLeft: string[];
}

export interface GsmDiscoveryFilter {
  project: string;
  /** A regional secrets' location; global secrets without it. */
  location?: string;
  /** Only secrets carrying this label key. */
  labelKey?: string;
}

export interface GsmStoreOptions {
  tokens: GoogleAccessTokenSource;
  /** One endpoint for every call (tests, proxies); by default Google's global or regional endpoint. */
  endpoint?: string;
  retry?: RetryPolicy;
  /** Keyed with ROTOR_FINGERPRINT_KEY; plain SHA-256 by default. */
  fingerprinter?: Fingerprinter;
  /** The new value; by default Rotor's generator (48 letters and digits from the CSPRNG). */
  generateValue?: () => string;
  fetchImpl?: typeof fetch;
}

const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;

/**
 * Google Secret Manager's calls, each with the read path (alias or `latest`) in its target;
 * GoogleSecretManagerProvider puts it behind the provider port with the policy's alias.
 * Versions are immutable and numbered; Rotor fingerprints a version's whole payload. Every
 * change to a secret's aliases, labels or annotations, and to a version's state, carries the
 * etag Rotor read, so a concurrent change is refused, never overwritten.
 */
export class GoogleSecretManagerStore {
  private readonly client: GsmRestClient;
  private readonly fingerprints: Fingerprinter;

  constructor(private readonly options: GsmStoreOptions) {
    this.fingerprints = options.fingerprinter ?? createFingerprinter(null);
    this.client = new GsmRestClient({
      tokens: options.tokens,
      retry: options.retry ?? DEFAULT_RETRY_POLICY,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
    });
  }

  /** Checks the reference's syntax and the alias's, then that the secret exists and the alias names a version. */
  async validateReference(target: GsmTarget): Promise<void> {
    const ref = this.refOf(target);
    const secret = await this.getSecret(target, ref, 'look up');
    if (target.versionAlias) aliasTarget(target, ref, secret);
  }

  async describe(target: GsmTarget): Promise<SecretDescription> {
    const ref = this.refOf(target);
    const secret = await this.getSecret(target, ref, 'describe');
    const versions = await this.listVersions(target, ref);
    const currentId = target.versionAlias ? aliasTarget(target, ref, secret) : versions[0] ? versionNumberOf(versions[0].name) : null;
    const aliasesOf = aliasesByVersion(secret);
    const summaries: VersionSummary[] = versions.map((version, index) => {
      const id = versionNumberOf(version.name);
      return {
        versionId: id,
        createdAt: version.createTime ?? null,
        labels: [
          version.state.toLowerCase(),
          ...(aliasesOf.get(id) ?? []).map((alias) => `alias:${alias}`),
          ...(index === 0 ? ['latest'] : []),
        ],
      };
    });
    const current = summaries.find((summary) => summary.versionId === currentId) ?? null;
    return {
      current,
      others: summaries.filter((summary) => summary !== current),
      lastRotatedAt: null,
      lastChangedAt: versions[0]?.createTime ?? null,
      tags: { ...secret.labels },
      rotationConfigured: false,
      limits: { maxVersions: null, deleteVersionAfterSeconds: null },
    };
  }

  /** What the value consumers read is made of; only names and kinds leave the call. */
  async describeShape(target: GsmTarget): Promise<ValueShape> {
    const ref = this.refOf(target);
    const read = await this.access(target, ref, target.versionAlias ?? 'latest', 'read the shape of');
    return shapeOfText(read.data.toString('utf8'));
  }

  /**
   * Adds a version holding a generated value placed as `request.placement` says, the rest of
   * the current value kept (see value-shape.ts). With an alias, the version waits under
   * `rotor-pending`, and a retry with the same token adopts it; with `latest`, it is current at
   * once (`promotedOnCreate`), so approval must come first.
   */
  async createVersion(target: GsmTarget, request: CreateVersionRequest): Promise<CreatedVersion> {
    const ref = this.refOf(target);
    const secret = await this.getSecret(target, ref, 'create a new version of');
    if (!target.versionAlias) {
      const newest = (await this.listVersions(target, ref))[0];
      const current = newest ? versionNumberOf(newest.name) : null;
      refuseIfMoved(target, current, request.expectedCurrentVersionId);
      const value = await this.nextValue(target, ref, current, request);
      await request.beforeWrite?.({ versionId: String(Number(current ?? '0') + 1), fingerprint: this.fingerprints.of(value) });
      const added = await this.addVersion(target, ref, value);
      return { versionId: added, fingerprint: this.fingerprints.of(value), promotedOnCreate: true };
    }
    const token = request.requestToken ?? randomBytes(12).toString('hex');
    const pending = secret.versionAliases[PENDING_ALIAS];
    if (pending !== undefined) {
      if (request.requestToken && secret.annotations[PENDING_TOKEN_ANNOTATION] === request.requestToken) {
        return { versionId: pending, fingerprint: (await this.readVersion(target, pending)).fingerprint, promotedOnCreate: false };
      }
      throw new RotorError(
        'conflict',
        `Version ${pending} of ${target.secretName} is waiting under the alias ${PENDING_ALIAS} for another rotation. Finish or abandon that rotation (or remove the alias: \`gcloud secrets update ${ref.secret} --project=${ref.project} --remove-version-aliases=${PENDING_ALIAS}\`), then try again.`,
      );
    }
    const current = aliasTarget(target, ref, secret);
    refuseIfMoved(target, current, request.expectedCurrentVersionId);
    if (request.earlierIntent) {
      // An earlier run got as far as adding (or may have): its version, not a second one.
      const earlier = await this.versionAddedFor(target, ref, request.earlierIntent);
      if (earlier.kind === 'foreign') throw addedByOthers(target, ref, earlier.versionIds, request.earlierIntent);
      if (earlier.kind === 'found') {
        await this.park(target, ref, secret, earlier.versionId, token);
        return { versionId: earlier.versionId, fingerprint: earlier.fingerprint, promotedOnCreate: false };
      }
    }
    const value = await this.nextValue(target, ref, current, request);
    const newest = (await this.listVersions(target, ref))[0];
    await request.beforeWrite?.({
      versionId: String(Number(newest ? versionNumberOf(newest.name) : '0') + 1),
      fingerprint: this.fingerprints.of(value),
    });
    const added = await this.addVersion(target, ref, value);
    await this.park(target, ref, secret, added, token);
    return { versionId: added, fingerprint: this.fingerprints.of(value), promotedOnCreate: false };
  }

  /**
   * What became of a create run whose outcome Rotor never recorded (a kill, a lost answer): the
   * version parked under `rotor-pending` with the run's token, or the one it added but never
   * parked, recognised by the intent it recorded (see versionAddedFor). Reads only.
   */
  async findWrite(target: GsmTarget, request: FindWriteRequest): Promise<FoundWrite> {
    const ref = this.refOf(target);
    const secret = await this.getSecret(target, ref, 'look for the new version of');
    const pending = target.versionAlias ? secret.versionAliases[PENDING_ALIAS] : undefined;
    if (pending !== undefined && secret.annotations[PENDING_TOKEN_ANNOTATION] === request.requestToken)
      return { kind: 'found', versionId: pending, fingerprint: (await this.readVersion(target, pending)).fingerprint };
    return request.intent ? this.versionAddedFor(target, ref, request.intent) : { kind: 'none' };
  }

  /** Moves the consumers' alias to the new version (one UpdateSecret, with the etag read); harmless when repeated. */
  async promote(target: GsmTarget, request: PromoteRequest): Promise<void> {
    const ref = this.refOf(target);
    const secret = await this.getSecret(target, ref, 'promote a version of');
    if (!target.versionAlias) {
      const newest = (await this.listVersions(target, ref))[0];
      // `latest` made the version current when it was added; promoting confirms nobody added one after it.
      const current = newest ? versionNumberOf(newest.name) : null;
      if (current !== request.newVersionId) refuseIfMoved(target, current, request.newVersionId);
      return;
    }
    const alias = target.versionAlias;
    const current = aliasTarget(target, ref, secret);
    if (current !== request.newVersionId) {
      refuseIfMoved(target, current, request.expectedCurrentVersionId);
      const version = await this.getVersion(target, ref, request.newVersionId, 'promote a version of');
      if (version.state !== 'ENABLED') throw notEnabled(target, request.newVersionId, version.state, 'promoted');
    } else if (secret.versionAliases[PENDING_ALIAS] !== request.newVersionId) {
      return;
    }
    const aliases = { ...secret.versionAliases, [alias]: request.newVersionId };
    if (aliases[PENDING_ALIAS] === request.newVersionId) delete aliases[PENDING_ALIAS];
    const { [PENDING_TOKEN_ANNOTATION]: _token, ...annotations } = secret.annotations;
    await this.updateSecret(target, ref, secret.etag, { versionAliases: aliases, annotations });
  }

  /** Accesses what consumers read (the alias, or `latest`) and fingerprints it in memory. */
  async readCurrent(target: GsmTarget, options: ReadOptions = {}): Promise<VersionFingerprint> {
    const ref = this.refOf(target);
    const read = await this.access(target, ref, target.versionAlias ?? 'latest', 'read back the current version of');
    return { versionId: read.versionId, ...fingerprintRead(this.fingerprints, read.data, options) };
  }

  async readVersion(target: GsmTarget, versionId: string): Promise<VersionFingerprint> {
    const ref = this.refOf(target);
    const read = await this.access(target, ref, versionId, `read version ${versionId} of`);
    return { versionId: read.versionId, fingerprint: this.fingerprints.of(read.data) };
  }

  /**
   * A rollback. With an alias, the alias moves back to the earlier version (which must still
   * be enabled). With `latest`, versions cannot be re-ordered, so the earlier version's
   * payload is added again as a new version.
   */
  async restoreVersion(target: GsmTarget, request: RestoreRequest): Promise<VersionFingerprint> {
    const ref = this.refOf(target);
    const secret = await this.getSecret(target, ref, 'roll back');
    if (!target.versionAlias) {
      const newest = (await this.listVersions(target, ref))[0];
      refuseIfMoved(target, newest ? versionNumberOf(newest.name) : null, request.expectedCurrentVersionId);
      const earlier = await this.access(target, ref, request.versionId, `read version ${request.versionId} of`);
      const added = await this.addVersion(target, ref, earlier.data);
      return { versionId: added, fingerprint: this.fingerprints.of(earlier.data) };
    }
    const current = aliasTarget(target, ref, secret);
    if (current !== request.versionId) {
      refuseIfMoved(target, current, request.expectedCurrentVersionId);
      const version = await this.getVersion(target, ref, request.versionId, 'roll back');
      if (version.state !== 'ENABLED') throw notEnabled(target, request.versionId, version.state, 'restored');
      await this.updateSecret(target, ref, secret.etag, {
        versionAliases: { ...secret.versionAliases, [target.versionAlias]: request.versionId },
      });
    }
    return this.readCurrent(target);
  }

  /** After the retention window: disables the superseded version (with its etag). Never the current one, nor one another alias names. */
  async deprecateVersion(target: GsmTarget, versionId: string): Promise<void> {
    const ref = this.refOf(target);
    const secret = await this.getSecret(target, ref, 'disable a version of');
    if ((await this.currentOf(target, ref, secret)) === versionId) {
      throw new RotorError(
        'conflict',
        `Version ${versionId} of ${target.secretName} is still what consumers read (${target.versionAlias ?? 'latest'}), so it cannot be disabled. Promote the new version first.`,
      );
    }
    const aliases = aliasesByVersion(secret).get(versionId) ?? [];
    if (aliases.length > 0) {
      throw new RotorError(
        'conflict',
        `Version ${versionId} of ${target.secretName} is still named by the alias ${aliases.join(', ')}; disabling it would break whoever reads that alias. Move the alias, then try again.`,
      );
    }
    const version = await this.getVersion(target, ref, versionId, 'disable a version of');
    if (version.state === 'DISABLED' || version.state === 'DESTROYED') return;
    await this.changeState(target, ref, versionId, 'disable', version.etag);
  }

  /**
   * `/revoke`: disables a compromised version, or destroys it when asked (irreversible). When
   * consumers read it now, the alias first moves to `replacementVersionId`; with `latest` the
   * replacement must already have been added (it is then the newest).
   */
  async disableVersion(
    target: GsmTarget,
    request: { versionId: string; replacementVersionId?: string | null; destroy?: boolean },
  ): Promise<GsmDisabledVersion> {
    const ref = this.refOf(target);
    let secret = await this.getSecret(target, ref, 'disable a version of');
    if ((await this.currentOf(target, ref, secret)) === request.versionId) {
      if (!target.versionAlias) {
        throw new RotorError(
          'conflict',
          `Version ${request.versionId} of ${target.secretName} is the latest, which consumers read; add the replacement version first (it becomes latest), then disable the compromised one.`,
        );
      }
      if (!request.replacementVersionId || request.replacementVersionId === request.versionId) {
        throw new RotorError(
          'conflict',
          `Version ${request.versionId} of ${target.secretName} is what the alias ${target.versionAlias} names; create the replacement version first so the alias can move to it, then disable the compromised one.`,
        );
      }
      const replacement = await this.getVersion(target, ref, request.replacementVersionId, 'disable a version of');
      if (replacement.state !== 'ENABLED') throw notEnabled(target, request.replacementVersionId, replacement.state, 'made current');
      await this.updateSecret(target, ref, secret.etag, {
        versionAliases: { ...secret.versionAliases, [target.versionAlias]: request.replacementVersionId },
      });
      secret = await this.getSecret(target, ref, 'disable a version of');
    }
    const aliasesLeft = aliasesByVersion(secret).get(request.versionId) ?? [];
    const version = await this.getVersion(target, ref, request.versionId, 'disable a version of');
    if (version.state === 'DESTROYED') return { versionId: request.versionId, action: 'already_destroyed', aliasesLeft };
    if (request.destroy) {
      await this.changeState(target, ref, request.versionId, 'destroy', version.etag);
      return { versionId: request.versionId, action: 'destroyed', aliasesLeft };
    }
    if (version.state === 'DISABLED') return { versionId: request.versionId, action: 'already_disabled', aliasesLeft };
    await this.changeState(target, ref, request.versionId, 'disable', version.etag);
    return { versionId: request.versionId, action: 'disabled', aliasesLeft };
  }

  /** An abandoned rotation: drops the pending alias and its token; returns the version it named (to disable), if any. */
  async discardPending(target: GsmTarget): Promise<string | null> {
    const ref = this.refOf(target);
    const secret = await this.getSecret(target, ref, 'abandon the new version of');
    const pending = secret.versionAliases[PENDING_ALIAS];
    if (pending === undefined) return null;
    const { [PENDING_ALIAS]: _alias, ...versionAliases } = secret.versionAliases;
    const { [PENDING_TOKEN_ANNOTATION]: _token, ...annotations } = secret.annotations;
    await this.updateSecret(target, ref, secret.etag, { versionAliases, annotations });
    return pending;
  }

  /**
   * Secrets of a project (global, or in one location) that carry the label key, with their labels
   * and annotations: labels select, and an annotation holds what a label cannot (a name with `/`,
   * a Slack id in capitals), so it wins over a label of the same key.
   */
  async listForDiscovery(filter: GsmDiscoveryFilter): Promise<DiscoveredSecret[]> {
    if (filter.labelKey !== undefined && !LABEL_KEY.test(filter.labelKey)) {
      throw new ValidationError(
        `\`${filter.labelKey}\` is not a Google label key (lowercase letters, digits, _ and -, starting with a letter).`,
        [{ where: 'label', message: 'not a label key' }],
      );
    }
    const parent = filter.location ? `projects/${filter.project}/locations/${filter.location}` : `projects/${filter.project}`;
    const target: ProviderTarget = { secretName: 'the secrets', providerRef: parent };
    const found: DiscoveredSecret[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.send(
        target,
        { location: filter.location ?? null },
        'list',
        {
          method: 'GET',
          path: `${parent}/secrets`,
          query: { filter: filter.labelKey ? `labels.${filter.labelKey}:*` : undefined, pageSize: '250', pageToken },
        },
        listSecretsResponse,
      );
      for (const secret of page.secrets) {
        const id = secret.name.slice(secret.name.lastIndexOf('/') + 1);
        // Responses name the project by number; keep the reference in the form the caller used.
        found.push({
          providerRef: `${parent}/secrets/${id}`,
          storeName: id,
          tags: discoveryTags(secret),
          lastRotatedAt: null,
          lastChangedAt: null,
        });
      }
      pageToken = page.nextPageToken || undefined;
    } while (pageToken);
    return found;
  }

  /** Sets labels on the secret (merged with its others; UpdateSecret `labels` with the etag read). */
  async labelSecret(target: GsmTarget, labels: Record<string, string>): Promise<void> {
    const invalid = Object.entries(labels).filter(([key, value]) => !LABEL_KEY.test(key) || !LABEL_VALUE.test(value));
    if (invalid.length > 0) {
      throw new ValidationError(
        `Google labels take lowercase letters, digits, _ and - only (keys start with a letter, at most 63 characters): ${invalid.map(([key]) => key).join(', ')}.`,
        [{ where: 'labels', message: 'not valid Google labels' }],
      );
    }
    const ref = this.refOf(target);
    const secret = await this.getSecret(target, ref, 'label');
    const merged = { ...secret.labels, ...labels };
    if (Object.entries(labels).every(([key, value]) => secret.labels[key] === value)) return;
    await this.updateSecret(target, ref, secret.etag, { labels: merged }, 'label');
  }

  /** What a consumer runs to read the value consumers get. */
  retrievalLine(target: GsmTarget): string {
    const ref = this.refOf(target);
    return `gcloud secrets versions access ${target.versionAlias ?? 'latest'} --secret=${ref.secret} --project=${ref.project}${ref.location ? ` --location=${ref.location}` : ''}`;
  }

  /** Names the added version by `rotor-pending` and the run's token (one UpdateSecret, with the etag read before adding). */
  private async park(target: GsmTarget, ref: GsmSecretRef, secret: SecretResource, versionId: string, token: string): Promise<void> {
    try {
      await this.updateSecret(target, ref, secret.etag, {
        versionAliases: { ...secret.versionAliases, [PENDING_ALIAS]: versionId },
        annotations: { ...secret.annotations, [PENDING_TOKEN_ANNOTATION]: token },
      });
    } catch (error) {
      // A lost answer, retried, meets the etag its first attempt changed: the alias may be there already.
      const now = await this.getSecret(target, ref, 'park the new version of');
      if (now.versionAliases[PENDING_ALIAS] === versionId && now.annotations[PENDING_TOKEN_ANNOTATION] === token) return;
      throw new RotorError(
        'conflict',
        `Version ${versionId} of ${target.secretName} was added but could not be parked under ${PENDING_ALIAS}: ${error instanceof Error ? error.message : String(error)} Nothing reads it. Run the step again: Rotor recognises that version by the fingerprint it noted before adding it, and parks it instead of adding another.`,
        { cause: error },
      );
    }
  }

  /**
   * The version a write recorded as `intent` added, if any, trusting nothing another client could
   * set: Google numbers versions in the order they are added, so only versions numbered from the
   * one the write expected were added after Rotor generated the value, and of those only one whose
   * payload has the fingerprint Rotor kept (computed in memory, the payload dropped at once) holds
   * that value, which existed nowhere else. A version someone else added holds another value and
   * is never taken (`foreign`); nor is one Rotor cannot read any more (disabled, destroyed).
   */
  private async versionAddedFor(target: GsmTarget, ref: GsmSecretRef, intent: WriteIntent): Promise<FoundWrite> {
    const since = Number(intent.versionId);
    const added = (await this.listVersions(target, ref)).filter((version) => Number(versionNumberOf(version.name)) >= since).reverse();
    for (const version of added) {
      if (version.state !== 'ENABLED') continue;
      const id = versionNumberOf(version.name);
      const read = await this.access(target, ref, id, `read version ${id} of`);
      if (this.fingerprints.matches(read.data, intent.fingerprint))
        return { kind: 'found', versionId: id, fingerprint: this.fingerprints.of(read.data) };
    }
    return added.length === 0 ? { kind: 'none' } : { kind: 'foreign', versionIds: added.map((version) => versionNumberOf(version.name)) };
  }

  private refOf(target: GsmTarget): GsmSecretRef {
    if (target.versionAlias) validateVersionAlias(target.secretName, target.versionAlias);
    return parseGsmSecretRef(target.secretName, target.providerRef);
  }

  private async currentOf(target: GsmTarget, ref: GsmSecretRef, secret: SecretResource): Promise<string | null> {
    if (target.versionAlias) return aliasTarget(target, ref, secret);
    const newest = (await this.listVersions(target, ref))[0];
    return newest ? versionNumberOf(newest.name) : null;
  }

  /** The new value: a generated one, placed in the current value as the request says (a secret without versions gets it whole). */
  private async nextValue(target: GsmTarget, ref: GsmSecretRef, current: string | null, request: CreateVersionRequest): Promise<string> {
    const generated = this.options.generateValue ? this.options.generateValue() : generateValue();
    if (current === null || request.placement?.kind === 'whole') return generated;
    const base = (await this.access(target, ref, current, 'read the current value of')).data.toString('utf8');
    return placeInText(target, base, request.placement, generated);
  }

  private getSecret(target: GsmTarget, ref: GsmSecretRef, action: string): Promise<SecretResource> {
    return this.send(target, ref, action, { method: 'GET', path: formatGsmSecretRef(ref) }, secretResource);
  }

  private getVersion(target: GsmTarget, ref: GsmSecretRef, versionId: string, action: string): Promise<VersionResource> {
    return this.send(
      target,
      ref,
      action,
      { method: 'GET', path: `${formatGsmSecretRef(ref)}/versions/${encodeURIComponent(versionId)}` },
      versionResource,
    );
  }

  /** Every version, newest first. */
  private async listVersions(target: GsmTarget, ref: GsmSecretRef): Promise<VersionResource[]> {
    const versions: VersionResource[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.send(
        target,
        ref,
        'list the versions of',
        { method: 'GET', path: `${formatGsmSecretRef(ref)}/versions`, query: { pageSize: '250', pageToken } },
        listVersionsResponse,
      );
      versions.push(...page.versions);
      pageToken = page.nextPageToken || undefined;
    } while (pageToken);
    return versions.sort((a, b) => Number(versionNumberOf(b.name)) - Number(versionNumberOf(a.name)));
  }

  /** Reads a version's payload, checks its CRC32C, and gives it to the caller for this call only. */
  private async access(
    target: GsmTarget,
    ref: GsmSecretRef,
    versionId: string,
    action: string,
  ): Promise<{ versionId: string; data: Buffer }> {
    const read = await this.send(
      target,
      ref,
      action,
      { method: 'GET', path: `${formatGsmSecretRef(ref)}/versions/${encodeURIComponent(versionId)}:access` },
      accessResponse,
    );
    const data = Buffer.from(read.payload.data, 'base64');
    if (read.payload.dataCrc32c !== undefined && read.payload.dataCrc32c !== String(crc32c(data))) {
      throw new RotorError(
        'provider',
        `Version ${versionNumberOf(read.name)} of ${target.secretName} arrived damaged (its CRC32C does not match); try again.`,
      );
    }
    if (data.length === 0)
      throw new RotorError('provider', `Version ${versionNumberOf(read.name)} of ${target.secretName} holds no value.`);
    return { versionId: versionNumberOf(read.name), data };
  }

  /**
   * AddSecretVersion has no request id: sent twice, it adds twice. So it is not retried once it may
   * have reached Google, and an answer lost on the way back leaves the outcome unknown, for the
   * caller to settle by the intent it recorded before (versionAddedFor).
   */
  private async addVersion(target: GsmTarget, ref: GsmSecretRef, value: string | Buffer): Promise<string> {
    const data = Buffer.from(value);
    const request: GsmRequest = {
      method: 'POST',
      path: `${formatGsmSecretRef(ref)}:addVersion`,
      body: { payload: { data: data.toString('base64'), dataCrc32c: String(crc32c(data)) } },
      notIdempotent: true,
    };
    try {
      return versionNumberOf((await this.client.call(ref, request, versionResource)).name);
    } catch (error) {
      if (!answerMayBeLost(error)) throw translateGoogleError(error, target, 'add a new version to');
      throw new OutcomeUnknownError(
        'provider_unavailable',
        `Could not add a new version to ${target.secretName} (${target.providerRef}) in Google Secret Manager: its answer never came back, so whether Google added the version is unknown.`,
        { cause: error },
      );
    }
  }

  private async updateSecret(
    target: GsmTarget,
    ref: GsmSecretRef,
    etag: string,
    fields: { versionAliases?: Record<string, string>; annotations?: Record<string, string>; labels?: Record<string, string> },
    action = 'update',
  ): Promise<void> {
    const mask = [
      fields.versionAliases ? 'version_aliases' : null,
      fields.annotations ? 'annotations' : null,
      fields.labels ? 'labels' : null,
    ]
      .filter((path) => path !== null)
      .join(',');
    await this.send(
      target,
      ref,
      action,
      { method: 'PATCH', path: formatGsmSecretRef(ref), query: { updateMask: mask }, body: { ...fields, etag } },
      secretResource,
    );
  }

  private async changeState(
    target: GsmTarget,
    ref: GsmSecretRef,
    versionId: string,
    verb: 'disable' | 'destroy',
    etag: string,
  ): Promise<void> {
    await this.send(
      target,
      ref,
      `${verb} version ${versionId} of`,
      { method: 'POST', path: `${formatGsmSecretRef(ref)}/versions/${encodeURIComponent(versionId)}:${verb}`, body: { etag } },
      versionResource,
    );
  }

  private async send<T extends z.ZodType>(
    target: ProviderTarget,
    ref: { location: string | null },
    action: string,
    request: GsmRequest,
    schema: T,
  ): Promise<z.infer<T>> {
    try {
      return await this.client.call(ref, request, schema);
    } catch (error) {
      throw translateGoogleError(error, target, action);
    }
  }
}

function aliasTarget(target: GsmTarget, ref: GsmSecretRef, secret: SecretResource): string {
  const alias = target.versionAlias as string;
  const version = secret.versionAliases[alias];
  if (version === undefined) {
    throw new RotorError(
      'not_found',
      `${target.secretName} has no version alias ${alias}, which consumers should read. Create it on the version in use (\`gcloud secrets update ${ref.secret} --project=${ref.project}${ref.location ? ` --location=${ref.location}` : ''} --update-version-aliases=${alias}=<version>\`), or change the policy's alias.`,
    );
  }
  return version;
}

function discoveryTags(secret: SecretResource): Record<string, string> {
  const { [PENDING_TOKEN_ANNOTATION]: _token, ...annotations } = secret.annotations;
  return { ...secret.labels, ...annotations };
}

function aliasesByVersion(secret: SecretResource): Map<string, string[]> {
  const byVersion = new Map<string, string[]>();
  for (const [alias, version] of Object.entries(secret.versionAliases).sort(([a], [b]) => a.localeCompare(b)))
    byVersion.set(version, [...(byVersion.get(version) ?? []), alias]);
  return byVersion;
}

function refuseIfMoved(target: GsmTarget, current: string | null, expected: string | null): void {
  if (expected !== null && current !== expected) {
    throw new RotorError(
      'conflict',
      `The current version of ${target.secretName} in Google Secret Manager is ${current ?? 'none'}, not ${expected} as Rotor expected: someone changed it meanwhile. Run \`rotor sync\` (or reopen the rotation) to pick it up, then continue.`,
    );
  }
}

function addedByOthers(target: GsmTarget, ref: GsmSecretRef, versionIds: string[], intent: WriteIntent): RotorError {
  const named = versionIds.length === 1 ? `Version ${versionIds[0]} was` : `Versions ${versionIds.join(', ')} were`;
  return new RotorError(
    'conflict',
    `${named} added to ${target.secretName} in Google Secret Manager after Rotor began adding its new version (it expected version ${intent.versionId}), and none holds the value Rotor generated: someone else added ${versionIds.length === 1 ? 'it' : 'them'}. Rotor takes no version it did not make and adds no other meanwhile. Find out who did (\`gcloud secrets versions list ${ref.secret} --project=${ref.project}${ref.location ? ` --location=${ref.location}` : ''}\`), then abandon this rotation and start a new one.`,
  );
}

function notEnabled(target: GsmTarget, versionId: string, state: string, what: string): RotorError {
  return new RotorError(
    'conflict',
    `Version ${versionId} of ${target.secretName} is ${state}, so it cannot be ${what}. Enable it by hand if that is safe (\`gcloud secrets versions enable\`), or add a new version.`,
  );
}
