import { ValidationError } from '../core/errors.js';
import type { CoreEnv } from '../config/env.js';
import type { Clock } from '../core/clock.js';
import type { RetryPolicy } from './call-with-retry.js';
import type { Fingerprinter } from './fingerprint.js';
import type { SecretDescription, SecretProvider, VersionSummary } from './secret-provider.js';

/**
 * What Rotor knows of one kind of store without connecting to it: what it can do, how its
 * references are written, what a person types to do a step by hand, and how the checklists
 * word its steps. The rotation and revocation flows ask this instead of naming a store: a new
 * store is one folder under providers/ that exports one of these, and one line in
 * store-catalog.ts. Its connection (the calls) is the SecretProvider `connect` makes.
 */
export interface StoreKind {
  /** The name in the inventory's `provider` column and in messages: `aws`, `vault`, `manual`. */
  readonly kind: string;
  /** How people call the store: `AWS Secrets Manager`, `Vault`. */
  readonly label: string;
  /** The short name a sentence uses: `AWS`, `Vault`. */
  readonly shortLabel: string;
  readonly capabilities: StoreCapabilities;
  /** How to configure Rotor for it, or null when it needs nothing (a by-hand store). */
  readonly setup: string | null;
  readonly references: StoreReferences;
  readonly commands: ByHandCommands;
  readonly texts: StoreStepTexts;
  /**
   * Findings of a rotation's preflight that only this store knows to look for (a pending version
   * left by an earlier attempt, versions the store destroys before a rollback could use them).
   */
  preflight(description: SecretDescription, subject: StorePreflightSubject): StoreFinding[];
  /** Whether `version` waits, not yet current, to be promoted (a staged version). */
  isPending(version: VersionSummary): boolean;
  /** Why the store still serves `version` to a client, in a clause (`it still carries …`), or null when it is out of service. */
  stillServes(version: VersionSummary, current: boolean): string | null;
  /** The same for a compromised version, as an incident's close check says it: `version 3 still carries … in AWS Secrets Manager`. */
  compromisedStillLive(versionId: string, version: VersionSummary): string | null;
  /** The connection, from the environment; null when the environment does not configure this store. */
  connect(setup: StoreSetup): SecretProvider | null;
}

/** What the store can do. A fact that differs by secret (a rotation function configured on it) comes from `describe`. */
export interface StoreCapabilities {
  /** Every step is done by a person; Rotor calls nothing (the manual store). */
  readonly byHand: boolean;
  /**
   * A new version can wait, not yet current, until it is promoted (AWS staging labels). Such a
   * version is named by the request token that made it, so a retried or interrupted create finds it.
   */
  readonly stagedVersions: boolean;
  /** A written version is current at once, so "promote" only confirms nobody wrote after it (Vault KV v2). */
  readonly promotesOnCreate: boolean;
  /** The store can run a secret's own rotation function; whether a secret has one is `SecretDescription.rotationConfigured`. */
  readonly storeRotation: boolean;
  /** A compromised version's data can be destroyed for good, not only taken out of service. */
  readonly destroy: boolean;
  /**
   * The store cannot be left without a current version (AWS): a compromised current version is
   * disabled only once another is current, a generated placeholder when nothing else is ready.
   */
  readonly disableNeedsReplacement: boolean;
  /** A rollback writes the previous version's data as a new version, since an old version cannot be made current again. */
  readonly restoreByRewrite: boolean;
  /** `readable`: Rotor reads values to fingerprint them; `key_material`: values never leave the store (a KMS key). */
  readonly values: 'readable' | 'key_material';
  /**
   * Secrets in the store can be listed to propose inventory entries (`rotor discover`);
   * `requiresMount`: what to say when `--mount` is missing, for a store that walks one. Null: no discovery.
   */
  readonly discovery: { requiresMount: string | null } | null;
  /** The store replicates a secret to other regions and `describe` reports them (`SecretDescription.replicas`): AWS. */
  readonly replicas?: boolean;
}

/** How the store's references are written and read. */
export interface StoreReferences {
  /** What a reference is, for a message asking for one: `its ARN or name`. */
  readonly what: string;
  /** Checks a reference's syntax; throws a ValidationError on `provider_ref` saying what is wrong and the forms accepted. */
  validate(secretName: string, ref: string): void;
  /** The names of the placeholders the store's step texts use (`aws_secret_id`, `vault_path`). */
  readonly placeholders: readonly string[];
  /**
   * Their values for one reference (parsed, so a malformed one is refused before a rotation starts);
   * `valueField`: the field a generated value goes in, when the preflight decided one.
   */
  placeholderValues(secretName: string, ref: string, valueField: string | null): Record<string, string>;
  /** The field the reference itself names (Vault's `#field`), or null. */
  explicitField(ref: string): string | null;
  /**
   * The field of the store's named-field values that a reference means when it names none, and
   * Rotor wrote before `value_field` existed (Vault: `value`); null when values have no such default.
   */
  readonly defaultField: string | null;
  /** The store secret a reference names, canonical, so two spellings of one secret compare equal (null for a by-hand store); a ValidationError when it does not parse. */
  keyOf(ref: string): StoreSecretKey | null;
  /** Whether two keys of this store name the same store secret. */
  sameSecret(a: StoreSecretKey, b: StoreSecretKey): boolean;
  /** How a message names a key's store secret: `the Vault secret secret/prod/app/db`. */
  describeKey(key: StoreSecretKey): string;
  /** Where the reference lies that the policy's `reference_scope` does not allow, or null. `location`: the store's own full name for it, when it gave one. */
  outsideScope(secretName: string, ref: string, location: string | null, scope: ReferenceScope): string | null;
}

export interface StoreSecretKey {
  provider: string;
  /** AWS: the region, or null when the reference leaves it to the SDK's default. Vault: the mount. */
  scope: string | null;
  /** AWS: the secret's name (an ARN's without the suffix AWS adds). Vault: the path. */
  name: string;
}

/** The policy's `reference_scope`: which accounts, regions and mounts references may point into (empty: anywhere). */
export interface ReferenceScope {
  awsAccounts: readonly string[];
  awsRegions: readonly string[];
  vaultMounts: readonly string[];
}

/**
 * What a person types to do a step by hand, exactly (no value ever appears in them; a value they
 * need is read from a file or made by the shell). Null where the store has no such step.
 */
export interface ByHandCommands {
  /** Writes an issuer's value, kept in `file`, as the new version (pending where the store stages). */
  writeNewVersion(secretName: string, ref: string, file: string): string | null;
  /** Takes a pending version out of the store's way. */
  removePending(ref: string, versionId: string): string | null;
  /** Makes `versionId` current again, where the store can be told to (a rollback Rotor could not do itself). */
  rollBackTo(ref: string, versionId: string): string | null;
  /** Disables a compromised version; `live`: a replacement is current already; `destroy`: its data is destroyed. */
  disableVersion(secretName: string, ref: string, versionId: string, options: { live: boolean; destroy: boolean }): string[];
  /** The line a consumer runs to fetch the current value. */
  retrieve(secretName: string, ref: string): string | null;
  /** The line a consumer in `region` runs to read the secret's replica there; absent for a store that does not replicate. */
  retrieveIn?(secretName: string, ref: string, region: string): string;
}

/** The rotation methods a store takes part in (`manual` is the by-hand store's alone). */
export type StoreCreationMethod = 'generate' | 'issuer' | 'store_rotation';

/** Text per method, with `any` for every method the store has no special text for. */
export type MethodTexts = Readonly<Partial<Record<StoreCreationMethod, string>> & { any?: string }>;

/** What the creation step's text is made from: the secret type's parts and the shared sentences. */
export interface CreationTextParts {
  /** How to get the new value from its issuer, with the commands. */
  mint: string;
  /** The file a person writes the value to before putting it in the store. */
  file: string;
  /** How Rotor generates a value: `48 letters and digits, safe …`. */
  generated: string;
  /** The sentence on the shape a generated value keeps. */
  keepsShape: string;
  /** The sentence on detecting a version written by hand. */
  detect: string;
  /** ` <reason>, which is why approvals come first.`, or nothing in an emergency. */
  approvalsFirst(reason: string): string;
}

/**
 * The store's own wording of the checklist steps, as data the templates ask for. `{name}`
 * placeholders are the store's (`StoreReferences.placeholders`) or the neutral ones.
 */
export interface StoreStepTexts {
  /** The creation step's detail, by method. */
  create?: Partial<Record<StoreCreationMethod, (parts: CreationTextParts) => string>>;
  /** Pointing staging at the new version before production. */
  updateStaging?: MethodTexts;
  /** Making the new version current. */
  promote?: MethodTexts;
  /** Verifying, where the store words it (a store rotation); `checks` are the type's. */
  verify?: Partial<Record<StoreCreationMethod, (checks: string) => string>>;
  /** Keeping the previous version through the retention window. */
  keepPrevious?: string;
  /** "Read the new value, then …" for a generated value, with the store's command. */
  readNewValue?: (then: string) => string;
  /** Disabling a compromised version, by order. */
  disable?: { replaceThenDisable: string; disableNow: string };
  /** Searching the logs of the incident window: `start` and `end` are the shared sentences. */
  searchLogs?: (start: string, end: string) => string;
  /** The checkbox of `/revoke` that destroys the compromised version, where the store can, and what the evidence says of it. */
  destroyOption?: { label: string; description: string; evidence: { destroyed: string; kept: string } };
  /** How a rollback's announcement says the previous version is current again, where the store words it: `ref`, `versionId` and `read` are already formatted. */
  restoredLine?: (ref: string, versionId: string, read: string) => string;
}

export interface StorePreflightSubject {
  secretName: string;
  ref: string;
  retentionHours: number;
}

/** One finding of the store's preflight (the rotation's PreflightCheck). */
export interface StoreFinding {
  check: string;
  status: 'ok' | 'warning' | 'blocking';
  message: string;
}

/** The environment variables the stores' connections read: one list, so a new store's variable is added once. */
export type StoreEnvName =
  | 'VAULT_ADDR'
  | 'VAULT_TOKEN'
  | 'VAULT_NAMESPACE'
  | 'GOOGLE_OAUTH_ACCESS_TOKEN'
  | 'GCE_METADATA_HOST'
  | 'GOOGLE_SECRET_MANAGER_ENDPOINT';

/** What a store's connection is made from. */
export interface StoreSetup {
  env: Partial<Pick<CoreEnv, StoreEnvName>>;
  fingerprinter: Fingerprinter;
  retry?: RetryPolicy;
  /** For what a connection caches by time (Google's access tokens); the system clock by default. */
  clock?: Clock;
}

/** The store kinds Rotor knows: what validates a store's name, and where each kind's knowledge is found. */
export interface StoreCatalog {
  /** Every kind, in the order people are offered them. */
  readonly kinds: readonly StoreKind[];
  /** The kind called `name`; a ValidationError on `provider`, naming the kinds there are, for any other name. */
  of(name: string): StoreKind;
  has(name: string): boolean;
}

export function createStoreCatalog(kinds: readonly StoreKind[]): StoreCatalog {
  const byName = new Map(kinds.map((kind) => [kind.kind, kind]));
  return {
    kinds,
    of(name) {
      const kind = byName.get(name);
      if (!kind) throw new ValidationError(unknownStore(name, kinds), [{ where: 'provider', message: unknownStore(name, kinds) }]);
      return kind;
    },
    has: (name) => byName.has(name),
  };
}

/** `unknown provider `x`; use one of: aws, vault, manual`: what the inventory says of a store's name it does not know. */
export function unknownStore(name: string, kinds: readonly StoreKind[]): string {
  return `unknown provider \`${name}\`; use one of: ${kinds.map((kind) => kind.kind).join(', ')}`;
}
