import type { AuditEvent } from '../audit/audit-event.js';
import { DifferenceList, sameValue, type ChainCheck } from '../audit/chain-difference.js';
import type { Secret } from './secret.js';

/** The fields of a secret its audit events set, and so the ones a replay can vouch for. */
export const REPLAYED_FIELDS = [
  'type',
  'description',
  'owner',
  'backupOwner',
  'team',
  'consumers',
  'provider',
  'providerRef',
  'intervalDays',
  'lastRotated',
  'nextRotation',
  'lifecycle',
  'retrievalInstructions',
  'tags',
  'checklistOverride',
  'currentVersionId',
  'currentFingerprint',
  'valueSource',
  'valueField',
  'target',
] as const satisfies readonly (keyof Secret)[];

export type ReplayedField = (typeof REPLAYED_FIELDS)[number];

/** A secret as its audit events built it. */
export interface ReplayedSecret {
  name: string;
  fields: Record<ReplayedField, unknown>;
  /** The `secret.created` event: its position and time. */
  createdSeq: number;
  createdAt: string;
  /** The event that last set each field, for naming it in a difference. */
  setBy: Partial<Record<ReplayedField, number>>;
}

/** What a new secret holds before its `secret.created` fields (which leave out what is empty). */
const EMPTY: Record<ReplayedField, unknown> = {
  type: null,
  description: null,
  owner: null,
  backupOwner: null,
  team: null,
  consumers: [],
  provider: null,
  providerRef: null,
  intervalDays: null,
  lastRotated: null,
  nextRotation: null,
  lifecycle: 'active',
  retrievalInstructions: null,
  tags: {},
  checklistOverride: null,
  currentVersionId: null,
  currentFingerprint: null,
  valueSource: null,
  valueField: null,
  target: null,
};

const ROTATIONS = new Set(['secret.rotated', 'secret.rotated_by_hand', 'secret.rotated_outside_rotor']);
/** The version a provider reports as current, recorded (`InventoryService.recordVersion`), under each action its callers name it by. */
const VERSIONS = new Set(['secret.version_recorded', 'secret.version_synced', 'secret.fingerprint_rekeyed', 'provider.version_verified']);

/** Whether an event is one of the inventory's: every `secret.*` action, and the verify that records a version. */
export function isInventoryEvent(action: string): boolean {
  return action.startsWith('secret.') || VERSIONS.has(action);
}

/** The same, as SQL over `audit_events.action`. */
export const INVENTORY_EVENT_SQL = `(action LIKE 'secret.%' OR action IN (${[...VERSIONS].map((action) => `'${action}'`).join(', ')}))`;

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function isField(key: string): key is ReplayedField {
  return (REPLAYED_FIELDS as readonly string[]).includes(key);
}

/**
 * Replays one secret's `secret.*` events, oldest first, into the secret they describe; null when
 * none created it. The inventory writes a secret only together with one of these events (see
 * InventoryService), so the replay ends where the table should be.
 */
export function replaySecret(name: string, events: readonly AuditEvent[]): ReplayedSecret | null {
  let replayed: ReplayedSecret | null = null;
  for (const event of events) {
    if (event.secret !== name) continue;
    if (event.action === 'secret.created') {
      replayed = { name, fields: { ...EMPTY }, createdSeq: event.seq, createdAt: event.at, setBy: {} };
      for (const [key, value] of Object.entries(record(event.details.fields))) if (isField(key)) set(replayed, key, value, event.seq);
      continue;
    }
    if (!replayed) continue;
    applyEvent(replayed, event);
  }
  return replayed;
}

function set(replayed: ReplayedSecret, field: ReplayedField, value: unknown, seq: number): void {
  replayed.fields[field] = value === undefined ? null : value;
  replayed.setBy[field] = seq;
}

/** Keeps the stored value when an event names none (as the inventory's `coalesce` does). */
function setIfGiven(replayed: ReplayedSecret, field: ReplayedField, value: unknown, seq: number): void {
  if (value !== null && value !== undefined) set(replayed, field, value, seq);
}

function applyEvent(replayed: ReplayedSecret, event: AuditEvent): void {
  const { details, seq } = event;
  if (ROTATIONS.has(event.action)) {
    set(replayed, 'lastRotated', details.rotatedAt, seq);
    set(replayed, 'nextRotation', details.nextRotation, seq);
    set(replayed, 'lifecycle', 'active', seq);
    setIfGiven(replayed, 'currentVersionId', details.versionId, seq);
    setIfGiven(replayed, 'currentFingerprint', details.fingerprint, seq);
  } else if (event.action === 'secret.rotation_rolled_back') {
    set(replayed, 'lastRotated', details.lastRotated, seq);
    set(replayed, 'nextRotation', details.nextRotation, seq);
    set(replayed, 'lifecycle', 'active', seq);
    setIfGiven(replayed, 'currentVersionId', details.versionId, seq);
    setIfGiven(replayed, 'currentFingerprint', details.fingerprint, seq);
  } else if (VERSIONS.has(event.action)) {
    set(replayed, 'currentVersionId', details.versionId, seq);
    set(replayed, 'currentFingerprint', details.fingerprint, seq);
  } else if (event.action === 'secret.lifecycle_changed') {
    set(replayed, 'lifecycle', details.to, seq);
  } else if (event.action === 'secret.reference_changed') {
    // The version Rotor knew belonged to the old store secret: what the store's check read at the new one is current now.
    const checked = record(details.storeCheck);
    set(replayed, 'currentVersionId', checked.versionId ?? null, seq);
    set(replayed, 'currentFingerprint', checked.fingerprint ?? null, seq);
  } else {
    // `secret.updated`, and any other edit that lists its changes as `{ field: { from, to } }`.
    for (const [key, change] of Object.entries(record(details.changes)))
      if (isField(key) && 'to' in record(change)) set(replayed, key, record(change).to, seq);
  }
}

/** A fingerprint as compared: bare hex is the plain SHA-256 migration 0005 prefixed in the table. */
function normalFingerprint(value: unknown): unknown {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value) ? `sha256:${value}` : value;
}

const FIELD_LABELS: Record<ReplayedField, string> = {
  type: 'type',
  description: 'description',
  owner: 'owner',
  backupOwner: 'backup owner',
  team: 'team',
  consumers: 'consumers',
  provider: 'provider',
  providerRef: 'store reference',
  intervalDays: 'rotation interval (days)',
  lastRotated: 'last rotated',
  nextRotation: 'next rotation',
  lifecycle: 'lifecycle',
  retrievalInstructions: 'retrieval instructions',
  tags: 'tags',
  checklistOverride: 'checklist override',
  currentVersionId: 'current version',
  currentFingerprint: 'current fingerprint',
  valueSource: 'value source',
  valueField: 'value field',
  target: 'target',
};

/**
 * The secret as the tables hold it, checked field by field against its replay: the secret with
 * the chain's values where they differ, and each difference named.
 */
export function checkSecret(secret: Secret, replayed: ReplayedSecret | null): { secret: Secret; check: ChainCheck } {
  const list = new DifferenceList(`secret ${secret.name}`);
  if (!replayed) {
    list.add('its creation', 'the secret exists', null, null);
    return { secret, check: list.check() };
  }
  const corrected: Secret = { ...secret };
  for (const field of REPLAYED_FIELDS) {
    const chain = replayed.fields[field];
    const same =
      field === 'currentFingerprint' ? (a: unknown, b: unknown) => sameValue(normalFingerprint(a), normalFingerprint(b)) : sameValue;
    if (!list.compare(FIELD_LABELS[field], secret[field], chain, replayed.setBy[field] ?? replayed.createdSeq, same)) {
      (corrected as unknown as Record<string, unknown>)[field] = chain;
    }
  }
  if (!list.compareInstant('created', secret.createdAt, replayed.createdAt, replayed.createdSeq)) corrected.createdAt = replayed.createdAt;
  // The environment decides the approvals a rotation needs; it and the other parts are the name's, which the chain holds.
  const [environment, service, credentialType] = secret.name.split('/');
  for (const [label, key, chain] of [
    ['environment', 'environment', environment],
    ['service', 'service', service],
    ['credential type', 'credentialType', credentialType],
  ] as const) {
    if (!list.compare(label, secret[key], chain ?? null, replayed.createdSeq)) corrected[key] = chain ?? '';
  }
  return { secret: corrected, check: list.check() };
}

/** The secrets the chain created and the tables no longer hold. */
export function missingSecrets(tableNames: ReadonlySet<string>, replayed: Iterable<ReplayedSecret>): ChainCheck {
  const check: ChainCheck = { differences: [], uncovered: [] };
  for (const secret of replayed) {
    if (!tableNames.has(secret.name))
      check.differences.push({
        subject: `secret ${secret.name}`,
        fact: 'its row',
        tables: null,
        chain: `it was created at ${secret.createdAt}`,
        seq: secret.createdSeq,
      });
  }
  return check;
}
