import type { TargetSetting } from '../targets/target-parsing.js';
import type { Lifecycle, ProviderKind, Secret, SecretType, ValueSource } from './secret.js';

/** A `secrets` row as SQLite returns it. */
export interface SecretRow {
  id: number;
  name: string;
  environment: string;
  service: string;
  credential_type: string;
  type: string;
  description: string | null;
  owner: string | null;
  backup_owner: string | null;
  team: string | null;
  consumers: string;
  access: string;
  break_glass: number;
  provider: string;
  provider_ref: string | null;
  interval_days: number;
  last_rotated: string | null;
  next_rotation: string;
  lifecycle: string;
  retrieval_instructions: string | null;
  tags: string;
  checklist_override: string | null;
  value_source: string | null;
  value_field: string | null;
  target: string | null;
  current_version_id: string | null;
  current_fingerprint: string | null;
  created_at: string;
  updated_at: string;
}

export function secretFromRow(row: SecretRow): Secret {
  return {
    id: row.id,
    name: row.name,
    environment: row.environment,
    service: row.service,
    credentialType: row.credential_type,
    type: row.type as SecretType,
    description: row.description,
    owner: row.owner,
    backupOwner: row.backup_owner,
    team: row.team,
    consumers: JSON.parse(row.consumers) as string[],
    access: JSON.parse(row.access) as string[],
    breakGlass: row.break_glass === 1,
    provider: row.provider as ProviderKind,
    providerRef: row.provider_ref,
    intervalDays: row.interval_days,
    lastRotated: row.last_rotated,
    nextRotation: row.next_rotation,
    lifecycle: row.lifecycle as Lifecycle,
    retrievalInstructions: row.retrieval_instructions,
    tags: JSON.parse(row.tags) as Record<string, string>,
    checklistOverride: row.checklist_override === null ? null : (JSON.parse(row.checklist_override) as string[]),
    valueSource: row.value_source as ValueSource | null,
    valueField: row.value_field,
    target: row.target === null ? null : (JSON.parse(row.target) as TargetSetting),
    currentVersionId: row.current_version_id,
    currentFingerprint: row.current_fingerprint,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Every column but `id`, in table order: the named parameters of INSERT and UPDATE statements. */
export const SECRET_COLUMNS = [
  'name',
  'environment',
  'service',
  'credential_type',
  'type',
  'description',
  'owner',
  'backup_owner',
  'team',
  'consumers',
  'access',
  'break_glass',
  'provider',
  'provider_ref',
  'interval_days',
  'last_rotated',
  'next_rotation',
  'lifecycle',
  'retrieval_instructions',
  'tags',
  'checklist_override',
  'value_source',
  'value_field',
  'target',
  'current_version_id',
  'current_fingerprint',
  'created_at',
  'updated_at',
] as const;

/** Named parameters for INSERT/UPDATE statements. */
export function rowParams(secret: Omit<Secret, 'id'>): Record<(typeof SECRET_COLUMNS)[number], string | number | null> {
  return {
    name: secret.name,
    environment: secret.environment,
    service: secret.service,
    credential_type: secret.credentialType,
    type: secret.type,
    description: secret.description,
    owner: secret.owner,
    backup_owner: secret.backupOwner,
    team: secret.team,
    consumers: JSON.stringify(secret.consumers),
    access: JSON.stringify(secret.access),
    break_glass: secret.breakGlass ? 1 : 0,
    provider: secret.provider,
    provider_ref: secret.providerRef,
    interval_days: secret.intervalDays,
    last_rotated: secret.lastRotated,
    next_rotation: secret.nextRotation,
    lifecycle: secret.lifecycle,
    retrieval_instructions: secret.retrievalInstructions,
    tags: JSON.stringify(secret.tags),
    checklist_override: secret.checklistOverride === null ? null : JSON.stringify(secret.checklistOverride),
    value_source: secret.valueSource,
    value_field: secret.valueField,
    target: secret.target === null ? null : JSON.stringify(secret.target),
    current_version_id: secret.currentVersionId,
    current_fingerprint: secret.currentFingerprint,
    created_at: secret.createdAt,
    updated_at: secret.updatedAt,
  };
}
