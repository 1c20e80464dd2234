import type { TargetSetting } from '../targets/target-parsing.js';
/** The inventory's vocabulary. Rotor holds metadata only: never a secret's value. */

export const SECRET_TYPES = [
  'database',
  'api_key',
  'jwt',
  'redis',
  'webhook',
  'smtp',
  'storage',
  'observability',
  'kms_key',
  'generic',
] as const;
export type SecretType = (typeof SECRET_TYPES)[number];

/** A Slack member id (`U…`, or `W…` on Enterprise Grid): how owners and roles are named. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** A Slack user group id (`S…`): a whole group may read a secret. */
export const SLACK_USER_GROUP_ID = /^S[A-Z0-9]{2,}$/;

/** The name of a store kind (`provider` of a secret): the store catalog (src/providers/store-kind.ts) says which there are. */
export type ProviderKind = string;

/** Lifecycle states a person or a flow sets; `due_soon` and `overdue` are derived from dates. */
export const LIFECYCLES = ['active', 'rotating', 'compromised', 'retired'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

/**
 * Where a rotation's new value comes from: `generate`, a random value Rotor creates at the
 * store; `issuer`, a value someone else issues or composes, which a person writes to the store.
 */
export const VALUE_SOURCES = ['generate', 'issuer'] as const;
export type ValueSource = (typeof VALUE_SOURCES)[number];

/** A field of a JSON secret or of a Vault secret's data, as `value_field` names it. */
export const VALUE_FIELD = /^[A-Za-z0-9_.@+-]{1,100}$/;

export const STATUSES = ['active', 'due_soon', 'overdue', 'rotating', 'compromised', 'retired'] as const;
export type SecretStatus = (typeof STATUSES)[number];

export interface Secret {
  id: number;
  /** `{environment}/{service}/{credential_type}` */
  name: string;
  environment: string;
  service: string;
  credentialType: string;
  type: SecretType;
  description: string | null;
  /** Slack user id */
  owner: string | null;
  /** Slack user id */
  backupOwner: string | null;
  team: string | null;
  consumers: string[];
  /**
   * Who may read the secret's value beside its owner and backup owner: Slack member ids and user
   * group ids (`S…`). When one of them leaves, the secret needs rotating (src/personnel).
   */
  access: string[];
  /** Kept for emergencies: each use is recorded and needs a rotation within the policy's hours. */
  breakGlass: boolean;
  provider: ProviderKind;
  /** Where the store keeps it, in the store's own syntax (AWS: ARN or `name`; Vault: `mount/path`); null for a manual secret. */
  providerRef: string | null;
  intervalDays: number;
  /** ISO instant (UTC) of the last completed rotation; null when never rotated. */
  lastRotated: string | null;
  /** ISO date (UTC) the next rotation is due. */
  nextRotation: string;
  lifecycle: Lifecycle;
  retrievalInstructions: string | null;
  tags: Record<string, string>;
  /** Built-in step ids and titles of manual steps, replacing the type's default checklist (see src/rotation/checklists/checklist-entry.ts). */
  checklistOverride: string[] | null;
  /** How a rotation gets its new value; null: the `rotor:value_source` tag, else the type's default (src/rotation/checklists/value-source.ts). */
  valueSource: ValueSource | null;
  /** The field a generated value replaces in a JSON or Vault secret; null: the policy's `value_fields`, else `password`. */
  valueField: string | null;
  /** Where the credential is set by Rotor (a PostgreSQL role or pair, a Redis ACL user); null: none, or the secret's JSON value names it. */
  target: TargetSetting | null;
  currentVersionId: string | null;
  /** SHA-256 fingerprint (hex) of the current version; never the value. */
  currentFingerprint: string | null;
  createdAt: string;
  updatedAt: string;
}
