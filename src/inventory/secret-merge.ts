import type { DateTime } from 'luxon';
import type { Policy } from '../config/policy.js';
import type { StoreCatalog } from '../providers/store-kind.js';
import { findValueSourceProblem } from '../rotation/checklists/value-source.js';
import { findReferenceProblem, type SecretFields } from './secret-fields.js';
import { nextRotationDate } from './schedule.js';
import { inferSecretType } from './secret-type.js';
import type { Secret } from './secret.js';

export type SecretRecord = Omit<Secret, 'id'>;

/** Fields compared to decide whether a row changes a secret; timestamps of the write itself are not. */
const COMPARED: (keyof SecretRecord)[] = [
  'type',
  'description',
  'owner',
  'backupOwner',
  'team',
  'consumers',
  'access',
  'breakGlass',
  'provider',
  'providerRef',
  'intervalDays',
  'lastRotated',
  'nextRotation',
  'lifecycle',
  'retrievalInstructions',
  'tags',
  'checklistOverride',
  'valueSource',
  'valueField',
  'target',
];

/**
 * The secret as it would be after applying `fields` on top of `existing` (or as a new
 * secret). Fields the row does not give keep their stored values; defaults (type from the
 * name, interval from the policy, `manual` provider) apply only to new secrets.
 */
export function mergeSecret(
  existing: SecretRecord | null,
  fields: SecretFields,
  policy: Policy,
  now: DateTime,
  nowIso = now.toUTC().toISO() as string,
): SecretRecord {
  const [environment, service, credentialType] = fields.name.split('/') as [string, string, string];
  const type = fields.type ?? existing?.type ?? inferSecretType(service, credentialType, fields.description ?? '');
  // null (an emptied interval) means the policy's default for the type, as a new secret gets.
  const intervalDays =
    fields.intervalDays === null ? policy.intervals[type] : (fields.intervalDays ?? existing?.intervalDays ?? policy.intervals[type]);
  const lastRotated = fields.lastRotated ?? existing?.lastRotated ?? null;
  const createdAt = existing?.createdAt ?? nowIso;
  return {
    name: fields.name,
    environment,
    service,
    credentialType,
    type,
    description: given(fields.description, existing?.description),
    owner: fields.owner ?? existing?.owner ?? null,
    backupOwner: given(fields.backupOwner, existing?.backupOwner),
    team: given(fields.team, existing?.team),
    consumers: fields.consumers ?? existing?.consumers ?? [],
    access: fields.access ?? existing?.access ?? [],
    breakGlass: fields.breakGlass ?? existing?.breakGlass ?? false,
    provider: fields.provider ?? existing?.provider ?? 'manual',
    providerRef: given(fields.providerRef, existing?.providerRef),
    intervalDays,
    lastRotated,
    nextRotation: scheduleNext(existing, fields.nextRotation, lastRotated, intervalDays, now),
    lifecycle: fields.lifecycle ?? existing?.lifecycle ?? 'active',
    retrievalInstructions: given(fields.retrievalInstructions, existing?.retrievalInstructions),
    tags: fields.tags ? { ...(existing?.tags ?? {}), ...fields.tags } : (existing?.tags ?? {}),
    checklistOverride: fields.checklistOverride ?? existing?.checklistOverride ?? null,
    valueSource: given(fields.valueSource, existing?.valueSource),
    valueField: given(fields.valueField, existing?.valueField),
    target: given(fields.target, existing?.target),
    currentVersionId: existing?.currentVersionId ?? null,
    currentFingerprint: existing?.currentFingerprint ?? null,
    createdAt,
    updatedAt: existing?.updatedAt ?? createdAt,
  };
}

/**
 * A never-rotated secret is due from the day Rotor learned of it; that date must not drift
 * forward each time the same file is imported again.
 */
function scheduleNext(
  existing: SecretRecord | null,
  firstDue: string | undefined,
  lastRotated: string | null,
  intervalDays: number,
  now: DateTime,
): string {
  if (lastRotated === null && firstDue) return firstDue;
  if (lastRotated === null && existing) return existing.nextRotation;
  return nextRotationDate(lastRotated, intervalDays, now);
}

/** A field the row sets (a value, or null to clear it), or what is stored. */
function given<T>(value: T | null | undefined, stored: T | null | undefined): T | null {
  return value !== undefined ? value : (stored ?? null);
}

/** Problems that only show once a row is merged with what is stored (e.g. a reference without its provider). */
export function findMergedProblems(secret: SecretRecord, stores: StoreCatalog): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const reference = findReferenceProblem(stores, secret.provider, secret.providerRef ?? undefined);
  if (reference) problems.push({ field: 'provider_ref', message: reference });
  const valueSource = secret.valueSource ? findValueSourceProblem(secret.type, secret.valueSource) : null;
  if (valueSource) problems.push({ field: 'value_source', message: valueSource });
  return problems;
}

export interface FieldChange {
  from: unknown;
  to: unknown;
}

export function diffSecrets(before: SecretRecord, after: SecretRecord): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const key of COMPARED) {
    const [from, to] = [before[key], after[key]];
    const same = from === to || (typeof from === 'object' && typeof to === 'object' && JSON.stringify(from) === JSON.stringify(to));
    if (!same) changes[key] = { from, to };
  }
  return changes;
}
