/**
 * The port every secret store sits behind. Implementations never return, log or keep a
 * secret's value: a value exists only inside one call, long enough to be written or hashed.
 */
export interface SecretProvider {
  /** The store kind it connects to (see store-kind.ts). */
  readonly kind: string;

  /** Checks the reference's syntax, then that the secret exists and can be read. */
  validateReference(target: ProviderTarget): Promise<void>;

  describe(target: ProviderTarget): Promise<SecretDescription>;

  /**
   * What the current value is made of (a plain string, named fields, something else), so a
   * generated value can keep it; read and judged inside the call, only names leave it.
   */
  describeShape(target: ProviderTarget): Promise<ValueShape>;

  /**
   * Creates a new version that is not yet current (AWS: `AWSPENDING`), holding a generated value
   * placed as `request.placement` says, everything else of the current version kept. A store that
   * makes a written version current at once (Vault KV v2) reports `promotedOnCreate`.
   */
  createVersion(target: ProviderTarget, request: CreateVersionRequest): Promise<CreatedVersion>;

  /** Makes `newVersionId` current, refusing when `expectedCurrentVersionId` is no longer current. */
  promote(target: ProviderTarget, request: PromoteRequest): Promise<void>;

  /**
   * Reads the current version back and returns its id and fingerprint; with `compareWith`, also
   * whether the value is the one that fingerprint (in any scheme Rotor has written) was made of.
   */
  readCurrent(target: ProviderTarget, options?: ReadOptions): Promise<VersionFingerprint>;

  /** Reads one version (e.g. a pending one a person wrote) and returns its id and fingerprint. */
  readVersion(target: ProviderTarget, versionId: string): Promise<VersionFingerprint>;

  /**
   * Makes an earlier version current again (a rollback). AWS moves `AWSCURRENT` back to it;
   * Vault writes its data as a new version (check-and-set on `expectedCurrentVersionId`), since
   * KV v2 cannot re-label an old one. Returns the version now current.
   */
  restoreVersion(target: ProviderTarget, request: RestoreRequest): Promise<VersionFingerprint>;

  /**
   * Takes a superseded version out of service (AWS: removes `AWSPREVIOUS`; Vault: soft delete;
   * KMS: schedules the old key's deletion). A store that keeps it recoverable for a while says until when.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a store that keeps nothing recoverable returns nothing, as before.
  deprecateVersion(target: ProviderTarget, versionId: string, options?: RetireOptions): Promise<RetiredVersion | void>;

  /** Disables a compromised version (for `/revoke`); `destroy` is irreversible and Vault-only. */
  disableVersion(target: ProviderTarget, request: DisableVersionRequest): Promise<DisabledVersion>;

  /** Secrets in the store that match the filter, with their tags or `custom_metadata`. */
  listForDiscovery(filter: DiscoveryFilter): Promise<DiscoveredSecret[]>;

  /**
   * Provenance at the store: adds or overwrites these entries (`version`, `rotated_by`) on the
   * secret, keeping its others (AWS tags, Vault `custom_metadata`), in whatever form the store
   * accepts. Absent on a store that keeps no tags (manual).
   */
  writeProvenance?(target: ProviderTarget, tags: Record<string, string>): Promise<void>;
  /**
   * Lends one version's value (the current one when `versionId` is null) to `use`, inside this
   * call only: the text of an AWS `SecretString`, a Vault secret's data as JSON. For the steps
   * that set a credential where it is used (src/targets/); `use` must not keep, log or return it.
   * Absent on a store whose values Rotor never reads (manual).
   */
  lendValue?<T>(target: ProviderTarget, versionId: string | null, use: (text: string) => Promise<T>): Promise<T>;
  /**
   * What became of a create step's run whose outcome Rotor never recorded, on a store that numbers
   * versions itself, so the request token cannot name the version (Google): the version that run
   * added, recognised by the write's recorded intent. Reads only. Absent where the request token
   * names the version (AWS) or check-and-set settles it (Vault).
   */
  findWrite?(target: ProviderTarget, request: FindWriteRequest): Promise<FoundWrite>;
  /** Releases the connection's sockets, on shutdown. */
  destroy?(): void;
}

export interface FindWriteRequest {
  requestToken: string;
  /** What the run recorded before its write (the version it expected to make and the value's fingerprint), if it got that far. */
  intent: WriteIntent | null;
}

/**
 * `found`: the run's version, holding the value whose fingerprint it recorded. `none`: nothing was
 * added since the run began writing. `foreign`: versions were added since, none of them the run's.
 */
export type FoundWrite =
  | { kind: 'found'; versionId: string; fingerprint: string }
  | { kind: 'none' }
  | { kind: 'foreign'; versionIds: string[] };

/** Which secret a call is about: the inventory name (for messages) and its provider reference. */
export interface ProviderTarget {
  secretName: string;
  providerRef: string;
}

export interface VersionSummary {
  versionId: string;
  /** ISO instant, when the store reports it. */
  createdAt: string | null;
  /** AWS staging labels; Vault: `current`, `deleted` or `destroyed`. */
  labels: string[];
}

export interface SecretDescription {
  current: VersionSummary | null;
  /** Versions other than the current one, newest first. */
  others: VersionSummary[];
  /** ISO instant of the store's last rotation, when it tracks one (AWS `LastRotatedDate`). */
  lastRotatedAt: string | null;
  /** ISO instant of the last change to the secret (AWS `LastChangedDate`; Vault `updated_time`). */
  lastChangedAt: string | null;
  /** AWS tags or Vault `custom_metadata`. */
  tags: Record<string, string>;
  /** The store's own full name for the secret, when it gives one (AWS: its ARN, with account and region). */
  location?: string | null;
  /** AWS only: a rotation function is configured, so new versions come from `RotateSecret`. */
  rotationConfigured: boolean;
  /**
   * KMS only: the newest rotation KMS made of the key's material in place (automatic, or on
   * demand), which keeps the key id: `rotor sync` records it as a rotation outside Rotor.
   */
  rotatedInPlace?: { at: string; type: string } | null;
  /** AWS only: the regions the secret is replicated to, with the state the primary reports (`InSync`, `InProgress`, `Failed`). */
  replicas?: ReplicaSummary[];
  /** AWS only: the primary's region (from its ARN), which counts as one of the regions the secret is kept in. */
  region?: string | null;
  /**
   * Vault only: how many versions the store keeps (older ones are destroyed), and after how many
   * seconds a version is soft-deleted on its own; null when the store sets no such limit.
   */
  limits: { maxVersions: number | null; deleteVersionAfterSeconds: number | null };
}

export interface ReplicaSummary {
  region: string;
  status: string;
  message: string | null;
}

export interface CreateVersionRequest {
  /** ISO instant of the step, for what a store names after the date (a KMS key's `App key <YYYYMMDD>`). */
  now?: string;
  /**
   * The version Rotor believes is current; the call is refused when another version is
   * current by now (someone rotated meanwhile).
   */
  expectedCurrentVersionId: string | null;
  /**
   * AWS: the idempotency token (and so the new version's id). A step retried after a crash
   * passes the same token, so it finds the version it already made instead of making another.
   */
  requestToken?: string;
  /**
   * Where the generated value goes: `whole` replaces the value (a plain string; or, for a
   * placeholder, whatever it held); `field` changes that one field of a JSON object (AWS) or of
   * the secret's data (Vault) and keeps every other. Without it: AWS replaces a plain string
   * and refuses anything else; Vault changes the reference's field.
   */
  placement?: ValuePlacement;
  /**
   * Told the version the write will make and the new value's fingerprint once the value exists
   * and before it is written, so a caller can record them: after a crash, or an answer lost on
   * the way back, the write is recognised as its own. A throw stops the write.
   */
  beforeWrite?: (intent: WriteIntent) => Promise<void> | void;
  /**
   * The write an earlier run of the same step recorded before it called the store and never saw
   * the end of (a kill, a lost answer). A store that numbers versions itself (Google) looks for
   * the version that run added, by this fingerprint, and adopts it instead of adding another.
   */
  earlierIntent?: WriteIntent | null;
}

/**
 * `alongside`: other string fields the new version sets to these (non-secret) values, e.g. the
 * `username` of the alternating role a PostgreSQL rotation flips to; each must already be there.
 */
export type ValuePlacement = { kind: 'whole' } | { kind: 'field'; field: string; alongside?: Readonly<Record<string, string>> };

export interface WriteIntent {
  /** The version id the write makes (Vault: the check-and-set version + 1; AWS: the request token). */
  versionId: string;
  fingerprint: string;
}

/** What a value holds, by names and kinds only. */
export type ValueShape =
  | { kind: 'string' }
  | { kind: 'fields'; fields: FieldShape[] }
  /** `what` says what it is, e.g. "a URL or connection string", never what it holds. */
  | { kind: 'other'; what: string }
  /** Key material that never leaves the store (a KMS key): a new version is a new key made like the current one. */
  | { kind: 'key_material'; what: string };

export interface FieldShape {
  name: string;
  holds: 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array';
}

export interface CreatedVersion {
  versionId: string;
  /** The new value's fingerprint (see providers/fingerprint.ts). */
  /** Null when the store's own rotation function generated the value (AWS `RotateSecret`). */
  fingerprint: string | null;
  promotedOnCreate: boolean;
}

export interface PromoteRequest {
  newVersionId: string;
  expectedCurrentVersionId: string | null;
}

export interface RestoreRequest {
  versionId: string;
  expectedCurrentVersionId: string | null;
}

export interface ReadOptions {
  /** A fingerprint Rotor holds (stored, or from the version it created) to compare the value with. */
  compareWith?: string | null;
  /** Verify: also read the version in every replica region (AWS), failing with the region that lags. */
  everyReplica?: boolean;
}

export interface VersionFingerprint {
  versionId: string;
  /** The value's fingerprint (see providers/fingerprint.ts), computed in memory; the value itself is dropped. */
  fingerprint: string;
  /** Only when asked (`compareWith`): the value read is the one that fingerprint was made of. */
  sameValue?: boolean;
  /** What the store checked besides (a KMS encrypt/decrypt round trip through the alias), for the evidence. */
  checks?: Record<string, string>;
}

/** How a store retires a superseded version, where it has a choice. */
export interface RetireOptions {
  /** KMS: the days between scheduling a key's deletion and the deletion (7-30); the policy's `kms.pending_window_days`. */
  pendingWindowDays?: number;
}

/** What a store says of a retired version it can still bring back until it deletes it. */
export interface RetiredVersion {
  /** ISO instant of the deletion, by the store's clock (a KMS key's `DeletionDate`). */
  deletionDate: string;
  /** Days from now until then: the window in which a rollback can still cancel the deletion. */
  recoverableDays: number;
}

export interface DisableVersionRequest {
  versionId: string;
  /**
   * AWS: when the compromised version is current, `AWSCURRENT` moves to this version first;
   * without it the call is refused rather than leaving the secret with no current value.
   */
  replacementVersionId?: string | null;
  /** Vault and Google: destroy the version's data instead of a soft delete / disable. */
  destroy?: boolean;
}

export interface DisabledVersion {
  versionId: string;
  /** AWS: `labels_removed`; Vault: `soft_deleted`; Google: `disabled`; Vault and Google: `destroyed`. */
  action: 'labels_removed' | 'soft_deleted' | 'disabled' | 'destroyed';
}

export interface DiscoveryFilter {
  /** AWS: only secrets carrying this tag key. Vault: only secrets with this `custom_metadata` key. */
  tagKey?: string;
  /** Vault: the KV v2 mount to walk. */
  mount?: string;
  /** Google: the project whose secrets are listed, and the location of regional ones. */
  project?: string;
  location?: string;
}

export interface DiscoveredSecret {
  /** The reference to store in the inventory. */
  providerRef: string;
  /** The store's own name for the secret (AWS name; Vault path inside the mount). */
  storeName: string;
  tags: Record<string, string>;
  lastRotatedAt: string | null;
  lastChangedAt: string | null;
}
