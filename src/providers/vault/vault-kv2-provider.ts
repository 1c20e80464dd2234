import { isDeepStrictEqual } from 'node:util';
import { createRequire } from 'node:module';
import type createVaultClient from 'node-vault';
import { z } from 'zod';
import { RotorError, ValidationError } from '../../core/errors.js';
import { callWithRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../call-with-retry.js';
import { createFingerprinter, fingerprintRead, type Fingerprinter } from '../fingerprint.js';
import { generateValue } from '../generated-value.js';
import type {
  CreatedVersion,
  CreateVersionRequest,
  DisabledVersion,
  DisableVersionRequest,
  DiscoveredSecret,
  DiscoveryFilter,
  PromoteRequest,
  ProviderTarget,
  ReadOptions,
  RestoreRequest,
  SecretDescription,
  SecretProvider,
  ValueShape,
  VersionFingerprint,
  VersionSummary,
} from '../secret-provider.js';
import { placeInFields, shapeOfFields } from '../value-shape.js';
import { isTransientVaultError, translateVaultError, vaultStatusOf } from './vault-errors.js';
import {
  DEFAULT_VAULT_FIELD,
  encodeVaultPath,
  formatVaultSecretRef,
  parseVaultSecretRef,
  type VaultSecretRef,
} from './vault-secret-ref.js';

export interface VaultProviderOptions {
  /** VAULT_ADDR */
  endpoint: string;
  /** VAULT_TOKEN */
  token: string;
  /** VAULT_NAMESPACE (Vault Enterprise / HCP) */
  namespace?: string;
  retry?: RetryPolicy;
  /** Produces the value of a Rotor-generated version; defaults to providers/generated-value.ts (letters and digits). */
  generateValue?: () => string;
  /** Upper bound on secrets walked by discovery, so a huge mount cannot stall a sweep. */
  discoveryLimit?: number;
  /** Keyed with ROTOR_FINGERPRINT_KEY; plain SHA-256 by default. */
  fingerprinter?: Fingerprinter;
}

const versionMetadata = z.object({
  created_time: z.string(),
  deletion_time: z.string().default(''),
  destroyed: z.boolean().default(false),
});

const metadataResponse = z.object({
  data: z.object({
    current_version: z.number().int(),
    updated_time: z.string().nullish(),
    custom_metadata: z.record(z.string(), z.string()).nullish(),
    max_versions: z.number().int().nullish(),
    delete_version_after: z.string().nullish(),
    versions: z.record(z.string(), versionMetadata),
  }),
});

const dataResponse = z.object({
  data: z.object({
    data: z.record(z.string(), z.unknown()).nullable(),
    metadata: z.object({ version: z.number().int() }),
  }),
});

const writeResponse = z.object({ data: z.object({ version: z.number().int() }) });
const listResponse = z.object({ data: z.object({ keys: z.array(z.string()) }) });
const preflightResponse = z.object({
  data: z.object({ type: z.string(), options: z.object({ version: z.string().optional() }).nullish() }),
});

type Metadata = z.infer<typeof metadataResponse>['data'];

/**
 * HashiCorp Vault KV v2 behind the provider port, through node-vault's raw paths (it has no
 * KV v2 helpers). `noCustomHTTPVerbs` turns LIST into `GET ?list=…`, which every Vault accepts.
 * A Rotor-generated version is the current one with one field changed (the field the caller
 * places it in, else the reference's, default `value`), written with check-and-set on the version
 * Rotor read, so a concurrent writer wins; a write whose answer was lost is recognised by reading
 * that version back.
 */
/**
 * node-vault, loaded when a Vault provider is made (VAULT_ADDR and VAULT_TOKEN set) rather than
 * with Rotor: it and its dependencies cost a bot without Vault about 8 MB of resident memory.
 */
function loadNodeVault(): typeof createVaultClient {
  return createRequire(import.meta.url)('node-vault') as typeof createVaultClient;
}

export class VaultKv2Provider implements SecretProvider {
  readonly kind = 'vault' as const;
  private readonly client: ReturnType<typeof createVaultClient>;
  private readonly retry: RetryPolicy;
  private readonly checkedMounts = new Set<string>();
  private readonly fingerprints: Fingerprinter;

  constructor(private readonly options: VaultProviderOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.fingerprints = options.fingerprinter ?? createFingerprinter(null);
    this.client = loadNodeVault()({
      endpoint: options.endpoint,
      token: options.token,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      noCustomHTTPVerbs: true,
      requestOptions: { timeout: this.retry.timeoutMs },
    });
  }

  async validateReference(target: ProviderTarget): Promise<void> {
    const ref = parseVaultSecretRef(target.secretName, target.providerRef);
    await this.readMetadata(target, ref, 'look up');
  }

  async describe(target: ProviderTarget): Promise<SecretDescription> {
    const ref = parseVaultSecretRef(target.secretName, target.providerRef);
    const metadata = await this.readMetadata(target, ref, 'describe');
    const versions: VersionSummary[] = Object.entries(metadata.versions).map(([number, version]) => ({
      versionId: number,
      createdAt: version.created_time,
      labels: [
        ...(Number(number) === metadata.current_version ? ['current'] : []),
        ...(version.destroyed ? ['destroyed'] : version.deletion_time !== '' ? ['deleted'] : []),
      ],
    }));
    const current = versions.find((version) => Number(version.versionId) === metadata.current_version) ?? null;
    return {
      current,
      others: versions.filter((version) => version !== current).sort((a, b) => Number(b.versionId) - Number(a.versionId)),
      lastRotatedAt: null,
      lastChangedAt: metadata.updated_time ?? null,
      tags: { ...(metadata.custom_metadata ?? {}) },
      rotationConfigured: false,
      limits: {
        maxVersions: metadata.max_versions ? metadata.max_versions : null,
        deleteVersionAfterSeconds: durationSeconds(metadata.delete_version_after),
      },
    };
  }

  async describeShape(target: ProviderTarget): Promise<ValueShape> {
    const ref = parseVaultSecretRef(target.secretName, target.providerRef);
    const metadata = await this.readMetadata(target, ref, 'read the fields of');
    return shapeOfFields(await this.currentData(target, ref, metadata, 'read the fields of'));
  }

  async createVersion(target: ProviderTarget, request: CreateVersionRequest): Promise<CreatedVersion> {
    const ref = parseVaultSecretRef(target.secretName, target.providerRef);
    const metadata = await this.readMetadata(target, ref, 'create a new version of');
    const current = String(metadata.current_version);
    if (request.expectedCurrentVersionId !== null && request.expectedCurrentVersionId !== current) {
      throw currentMoved(target, current, request.expectedCurrentVersionId);
    }
    const value = this.options.generateValue ? this.options.generateValue() : generateValue();
    const data =
      request.placement?.kind === 'whole'
        ? { [ref.field]: value }
        : placeInFields(
            target,
            await this.currentData(target, ref, metadata, 'create a new version of'),
            request.placement?.field ?? ref.field,
            value,
            request.placement?.alongside,
          );
    const fingerprint = this.fingerprints.of(valueToHash(data, ref.field));
    const versionId = String(metadata.current_version + 1);
    await request.beforeWrite?.({ versionId, fingerprint });
    const body = { options: { cas: metadata.current_version }, data };
    let written: unknown;
    try {
      written = await this.call(target, 'write a new version of', () =>
        this.client.write(`${ref.mount}/data/${encodeVaultPath(ref.path)}`, body),
      );
    } catch (error) {
      // The answer may have been lost after Vault applied the write (and a retry then met its own
      // check-and-set): the version it would have made, holding exactly this data, is this write.
      if (await this.holds(target, ref, versionId, data)) return { versionId, fingerprint, promotedOnCreate: true };
      throw error;
    }
    const parsed = writeResponse.safeParse(written);
    if (!parsed.success) throw kvV1(target, ref);
    return { versionId: String(parsed.data.data.version), fingerprint, promotedOnCreate: true };
  }

  /**
   * The data a new version builds on: the current version's, or, when it is deleted or destroyed
   * (a compromised version disabled before its replacement is written), the newest version that
   * still holds data; none for a secret without any.
   */
  private async currentData(
    target: ProviderTarget,
    ref: VaultSecretRef,
    metadata: Metadata,
    action: string,
  ): Promise<Record<string, unknown>> {
    const newestFirst = Object.keys(metadata.versions)
      .map(Number)
      .filter((number) => number <= metadata.current_version)
      .sort((a, b) => b - a);
    for (const number of newestFirst.slice(0, 10)) {
      if (metadata.versions[String(number)]?.destroyed) continue;
      let read: unknown;
      try {
        read = await this.call(target, action, () => this.client.read(`${ref.mount}/data/${encodeVaultPath(ref.path)}?version=${number}`));
      } catch (error) {
        // A deleted version answers 404 with its metadata and no data.
        if (error instanceof RotorError && error.code === 'not_found') continue;
        throw error;
      }
      const parsed = dataResponse.safeParse(read);
      if (!parsed.success) throw kvV1(target, ref);
      if (parsed.data.data.data !== null) return parsed.data.data.data;
    }
    return {};
  }

  /** Whether `versionId` exists and holds exactly `data`; false when that cannot be read either. */
  private async holds(target: ProviderTarget, ref: VaultSecretRef, versionId: string, data: Record<string, unknown>): Promise<boolean> {
    try {
      const read = await this.call(target, `read version ${versionId} of`, () =>
        this.client.read(`${ref.mount}/data/${encodeVaultPath(ref.path)}?version=${versionId}`),
      );
      const parsed = dataResponse.safeParse(read);
      return parsed.success && String(parsed.data.data.metadata.version) === versionId && isDeepStrictEqual(parsed.data.data.data, data);
    } catch {
      return false;
    }
  }

  async promote(target: ProviderTarget, request: PromoteRequest): Promise<void> {
    const ref = parseVaultSecretRef(target.secretName, target.providerRef);
    const metadata = await this.readMetadata(target, ref, 'promote a version of');
    // KV v2 makes a written version current at once; promoting only confirms nobody wrote after it.
    if (String(metadata.current_version) !== request.newVersionId) {
      throw currentMoved(target, String(metadata.current_version), request.newVersionId);
    }
  }

  async readCurrent(target: ProviderTarget, options: ReadOptions = {}): Promise<VersionFingerprint> {
    return this.readData(target, null, 'read back the current version of', options);
  }

  async readVersion(target: ProviderTarget, versionId: string): Promise<VersionFingerprint> {
    return this.readData(target, versionId, `read version ${versionId} of`);
  }

  /**
   * KV v2 cannot make an old version current again, so its data is written as a new version,
   * with check-and-set on the version Rotor expects to be current. The data passes through
   * memory only, inside this call.
   */
  async restoreVersion(target: ProviderTarget, request: RestoreRequest): Promise<VersionFingerprint> {
    const ref = parseVaultSecretRef(target.secretName, target.providerRef);
    const metadata = await this.readMetadata(target, ref, 'roll back');
    const current = String(metadata.current_version);
    if (request.expectedCurrentVersionId !== null && request.expectedCurrentVersionId !== current) {
      throw currentMoved(target, current, request.expectedCurrentVersionId);
    }
    const read = await this.call(target, `read version ${request.versionId} of`, () =>
      this.client.read(`${ref.mount}/data/${encodeVaultPath(ref.path)}?version=${encodeURIComponent(request.versionId)}`),
    );
    const parsed = dataResponse.safeParse(read);
    if (!parsed.success) throw kvV1(target, ref);
    const data = parsed.data.data.data;
    if (data === null) {
      throw new RotorError(
        'not_found',
        `Version ${request.versionId} of ${target.secretName} in Vault is deleted or destroyed, so it cannot be restored. Undelete it (\`vault kv undelete\`) or write a new version instead.`,
      );
    }
    const written = await this.call(target, 'write the restored version of', () =>
      this.client.write(`${ref.mount}/data/${encodeVaultPath(ref.path)}`, { options: { cas: metadata.current_version }, data }),
    );
    const version = writeResponse.safeParse(written);
    if (!version.success) throw kvV1(target, ref);
    return { versionId: String(version.data.data.version), fingerprint: this.fingerprints.of(valueToHash(data, ref.field)) };
  }

  async lendValue<T>(target: ProviderTarget, versionId: string | null, use: (text: string) => Promise<T>): Promise<T> {
    const ref = parseVaultSecretRef(target.secretName, target.providerRef);
    await this.requireKv2(target, ref, 'read');
    const query = versionId === null ? '' : `?version=${encodeURIComponent(versionId)}`;
    const read = await this.call(target, versionId ? `read version ${versionId} of` : 'read the current version of', () =>
      this.client.read(`${ref.mount}/data/${encodeVaultPath(ref.path)}${query}`),
    );
    const parsed = dataResponse.safeParse(read);
    if (!parsed.success) throw kvV1(target, ref);
    if (parsed.data.data.data === null)
      throw new RotorError(
        'conflict',
        `${versionId === null ? 'The current version' : `Version ${versionId}`} of ${target.secretName} in Vault is deleted, so it names no credential to set at its target.`,
      );
    return use(JSON.stringify(parsed.data.data.data));
  }

  private async readData(
    target: ProviderTarget,
    versionId: string | null,
    action: string,
    options: ReadOptions = {},
  ): Promise<VersionFingerprint> {
    const ref = parseVaultSecretRef(target.secretName, target.providerRef);
    await this.requireKv2(target, ref, action);
    const query = versionId === null ? '' : `?version=${encodeURIComponent(versionId)}`;
    const read = await this.call(target, action, () => this.client.read(`${ref.mount}/data/${encodeVaultPath(ref.path)}${query}`));
    const parsed = dataResponse.safeParse(read);
    if (!parsed.success) throw kvV1(target, ref);
    const data = parsed.data.data.data;
    if (data === null) {
      throw new RotorError(
        'provider',
        `${versionId === null ? 'The current version' : `Version ${versionId}`} of ${target.secretName} in Vault is deleted; restore it (\`vault kv undelete\`) or write a new version.`,
      );
    }
    return {
      versionId: String(parsed.data.data.metadata.version),
      ...fingerprintRead(this.fingerprints, valueToHash(data, ref.field), options),
    };
  }

  async deprecateVersion(target: ProviderTarget, versionId: string): Promise<void> {
    const ref = parseVaultSecretRef(target.secretName, target.providerRef);
    const metadata = await this.readMetadata(target, ref, 'deprecate a version of');
    if (String(metadata.current_version) === versionId) {
      throw new RotorError(
        'conflict',
        `Version ${versionId} of ${target.secretName} is still the current version in Vault, so it cannot be removed. Write the new version first.`,
      );
    }
    const version = metadata.versions[versionId];
    if (!version || version.destroyed || version.deletion_time !== '') return;
    await this.call(target, 'soft-delete a version of', () =>
      this.client.write(`${ref.mount}/delete/${encodeVaultPath(ref.path)}`, { versions: [Number(versionId)] }),
    );
  }

  async disableVersion(target: ProviderTarget, request: DisableVersionRequest): Promise<DisabledVersion> {
    const ref = parseVaultSecretRef(target.secretName, target.providerRef);
    const metadata = await this.readMetadata(target, ref, 'disable a version of');
    if (!metadata.versions[request.versionId]) {
      throw new RotorError(
        'not_found',
        `Version ${request.versionId} of ${target.secretName} does not exist in Vault (${target.providerRef}); check the version id.`,
      );
    }
    const path = encodeVaultPath(ref.path);
    const body = { versions: [Number(request.versionId)] };
    if (request.destroy) {
      await this.call(target, 'destroy a version of', () =>
        this.client.request({ path: `/${ref.mount}/destroy/${path}`, method: 'PUT', json: body }),
      );
      return { versionId: request.versionId, action: 'destroyed' };
    }
    await this.call(target, 'soft-delete a version of', () => this.client.write(`${ref.mount}/delete/${path}`, body));
    return { versionId: request.versionId, action: 'soft_deleted' };
  }

  /**
   * Adds or overwrites `custom_metadata` entries (provenance: `version`, `rotated_by`). Writing
   * the metadata endpoint replaces the whole map, so the entries are merged into the map just
   * read; the other metadata settings are not sent and stay as they are.
   */
  async writeCustomMetadata(target: ProviderTarget, entries: Record<string, string>): Promise<void> {
    const ref = parseVaultSecretRef(target.secretName, target.providerRef);
    const metadata = await this.readMetadata(target, ref, 'read the custom metadata of');
    const current = metadata.custom_metadata ?? {};
    if (Object.entries(entries).every(([key, value]) => current[key] === value)) return;
    await this.call(target, 'write the custom metadata of', () =>
      this.client.write(`${ref.mount}/metadata/${encodeVaultPath(ref.path)}`, { custom_metadata: { ...current, ...entries } }),
    );
  }

  /** Provenance as `custom_metadata` entries (merged; nothing written when they are there). */
  writeProvenance(target: ProviderTarget, tags: Record<string, string>): Promise<void> {
    return this.writeCustomMetadata(target, tags);
  }

  async listForDiscovery(filter: DiscoveryFilter): Promise<DiscoveredSecret[]> {
    const mount = filter.mount?.replace(/\/+$/, '');
    if (!mount)
      throw new ValidationError('Discovery in Vault needs the KV v2 mount to walk, e.g. --mount secret.', [
        { where: 'mount', message: 'required' },
      ]);
    const limit = this.options.discoveryLimit ?? 1000;
    const found: DiscoveredSecret[] = [];
    const pending = [''];
    while (pending.length > 0 && found.length < limit) {
      const folder = pending.shift() as string;
      for (const key of await this.listKeys(mount, folder)) {
        const path = `${folder}${key}`;
        if (key.endsWith('/')) {
          pending.push(path);
          continue;
        }
        const ref: VaultSecretRef = { mount, path, field: DEFAULT_VAULT_FIELD };
        const providerRef = formatVaultSecretRef(ref);
        const metadata = await this.readMetadata({ secretName: providerRef, providerRef }, ref, 'read the metadata of');
        const tags = { ...(metadata.custom_metadata ?? {}) };
        if (filter.tagKey && !(filter.tagKey in tags)) continue;
        const current = metadata.versions[String(metadata.current_version)];
        found.push({
          providerRef,
          storeName: path,
          tags,
          lastRotatedAt: current?.created_time ?? null,
          lastChangedAt: metadata.updated_time ?? null,
        });
        if (found.length >= limit) break;
      }
    }
    return found;
  }

  private async listKeys(mount: string, folder: string): Promise<string[]> {
    const target: ProviderTarget = { secretName: `the secrets under ${mount}/${folder}`, providerRef: `${mount}/${folder}` };
    await this.requireKv2(target, { mount, path: folder, field: DEFAULT_VAULT_FIELD }, 'list');
    try {
      const listed = await callWithRetry(() => this.client.list(`${mount}/metadata/${encodeVaultPath(folder.replace(/\/$/, ''))}`), {
        policy: this.retry,
        isTransient: isTransientVaultError,
      });
      return listResponse.parse(listed).data.keys;
    } catch (error) {
      // Vault answers an empty folder with 404.
      if (vaultStatusOf(error) === 404) return [];
      throw translateVaultError(error, target, 'list');
    }
  }

  private async readMetadata(target: ProviderTarget, ref: VaultSecretRef, action: string): Promise<Metadata> {
    await this.requireKv2(target, ref, action);
    const read = await this.call(target, action, () => this.client.read(`${ref.mount}/metadata/${encodeVaultPath(ref.path)}`));
    const parsed = metadataResponse.safeParse(read);
    if (!parsed.success) throw kvV1(target, ref);
    return parsed.data.data;
  }

  /**
   * Asks the mount preflight the Vault CLI uses which KV version the mount runs. On a KV v1
   * mount a write to `data/…` would silently create a flat key, so this runs before any call.
   * A token without access to the preflight proceeds, and the response shapes are checked.
   */
  private async requireKv2(target: ProviderTarget, ref: VaultSecretRef, action: string): Promise<void> {
    if (this.checkedMounts.has(ref.mount)) return;
    let answer: unknown;
    try {
      answer = await callWithRetry(() => this.client.read(`sys/internal/ui/mounts/${encodeVaultPath(ref.mount)}`), {
        policy: this.retry,
        isTransient: isTransientVaultError,
      });
    } catch (error) {
      const status = vaultStatusOf(error);
      if (status === 400 || status === 403 || status === 404) return;
      throw translateVaultError(error, target, action);
    }
    const parsed = preflightResponse.safeParse(answer);
    if (!parsed.success) return;
    if (parsed.data.data.type !== 'kv') {
      throw new RotorError(
        'config',
        `${target.secretName} points to ${ref.mount}, which is a ${parsed.data.data.type} mount, not a KV v2 secrets engine. Fix the reference's mount.`,
      );
    }
    if (parsed.data.data.options?.version !== '2') throw kvV1(target, ref);
    this.checkedMounts.add(ref.mount);
  }

  private async call<T>(target: ProviderTarget, action: string, request: () => Promise<T>): Promise<T> {
    try {
      return await callWithRetry(() => request(), { policy: this.retry, isTransient: isTransientVaultError });
    } catch (error) {
      throw translateVaultError(error, target, action);
    }
  }
}

/** The field Rotor fingerprints; a secret without that field is fingerprinted as a whole (sorted keys). */
function valueToHash(data: Record<string, unknown>, field: string): string {
  const value = data[field];
  if (typeof value === 'string') return value;
  if (value !== undefined) return JSON.stringify(value);
  return JSON.stringify(Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b))));
}

/** Vault durations such as `0s`, `768h`, `1h30m`; null for none (`0s` means no timer). */
function durationSeconds(text: string | null | undefined): number | null {
  if (!text) return null;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1 };
  let total = 0;
  for (const match of text.matchAll(/(\d+)([hms])/g)) total += Number(match[1]) * (units[match[2] as string] as number);
  return total > 0 ? total : null;
}

function currentMoved(target: ProviderTarget, current: string, expected: string): RotorError {
  return new RotorError(
    'conflict',
    `The current version of ${target.secretName} in Vault is ${current}, not ${expected} as Rotor expected: someone wrote a version meanwhile. Run \`rotor sync\` (or reopen the rotation) to pick it up, then continue.`,
  );
}

function kvV1(target: ProviderTarget, ref: VaultSecretRef): RotorError {
  return new RotorError(
    'config',
    `${target.secretName} points to the mount ${ref.mount}, which is a KV version 1 secrets engine; Rotor needs KV version 2 (versions, check-and-set, metadata). Upgrade it with \`vault kv enable-versioning ${ref.mount}\` or move the secret to a KV v2 mount.`,
  );
}
