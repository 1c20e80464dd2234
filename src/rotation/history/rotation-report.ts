import { DateTime } from 'luxon';
import type { AuditEvent } from '../../audit/audit-event.js';
import type { ChainCheck } from '../../audit/chain-difference.js';
import type { PeopleNames } from '../../core/person-label.js';
import type { Secret, SecretType } from '../../inventory/secret.js';
import type { ApproverRole, RotationKind, RotationReason, RotationRecord } from '../rotation.js';

/** Whole UTC days, both ends included: `YYYY-MM-DD`. */
export interface ReportPeriod {
  since: string;
  until: string;
}

export const REPORT_FORMATS = ['md', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The audit actions that move a secret's schedule or lifecycle: the report rebuilds history from them. */
export const SCHEDULE_ACTIONS = [
  'secret.created',
  'secret.updated',
  'secret.rotated',
  'secret.rotated_by_hand',
  'secret.rotated_outside_rotor',
  'secret.rotation_rolled_back',
  'secret.lifecycle_changed',
] as const;

export interface RotationReportInput {
  period: ReportPeriod;
  /** The whole inventory, retired secrets included. */
  secrets: readonly Secret[];
  policyIntervals: Readonly<Record<SecretType, number>>;
  /** Rotor's rotations completed during the period (rolled back ones included). */
  rotations: readonly RotationRecord[];
  /** Every event with one of {@link SCHEDULE_ACTIONS}, oldest first. */
  history: readonly AuditEvent[];
  generatedAt: string;
  /** Names from the people cache: the report names people as `Name (U…)`. */
  people: PeopleNames;
  /** The secrets and rotations as the tables hold them, checked against their audit events (both given with the chain's side). */
  chainCheck: ChainCheck;
}

/**
 * Where a rotation is known from: Rotor's checklist, `rotor sync` finding a new version made
 * outside Rotor, or a person recording a new last-rotated date (an import or an edit).
 */
export type RotationSource = 'rotor' | 'sync' | 'recorded';

export type Timeliness = 'on_time' | 'late' | 'rolled_back' | 'unknown';

export interface ReportedRotation {
  source: RotationSource;
  rotationId: number | null;
  kind: RotationKind | null;
  /** Why Rotor's rotation was done; null for one done outside Rotor. */
  reason: RotationReason | null;
  /** When it was rotated (ISO instant) and its UTC date. */
  at: string;
  date: string;
  /** Rotor: who completed it. Otherwise: who recorded it (the sync's or the import's runner). */
  by: string;
  ticket: string | null;
  approvals: { role: ApproverRole; by: string; at: string }[];
  /** The due date it was rotated against; null when the history does not tell. */
  dueDate: string | null;
  timeliness: Timeliness;
  /** Days after the due date; 0 when on time, null when unknown. */
  daysLate: number | null;
  versionId: string | null;
  /** The audit event that recorded it in the inventory (`secret.rotated` for Rotor's). */
  auditSeq: number | null;
  /** For `recorded`: the import or edit that wrote it (its `source`). */
  via: string | null;
}

export interface ReportedSecret {
  name: string;
  environment: string;
  type: SecretType;
  provider: Secret['provider'];
  owner: string | null;
  team: string | null;
  /** The lifecycle now, and when it was retired if it is. */
  lifecycle: Secret['lifecycle'];
  retiredAt: string | null;
  intervalDays: number;
  policyIntervalDays: number;
  rotations: ReportedRotation[];
  /** Due by the end of the period (or its retirement), that day over, and not rotated since. */
  missed: { dueDate: string; daysOverdue: number; asOf: string } | null;
  /** Due today, the period's last day: due, not missed, since the day is not over. */
  dueToday: string | null;
}

export interface RotationReport {
  period: ReportPeriod;
  generatedAt: string;
  /** Names of the people the report mentions, by member id (those Slack named). */
  people: PeopleNames;
  /** Where the tables differ from the audit chain (the report prints the chain's side), and what the chain does not hold. */
  chainCheck: ChainCheck;
  secrets: ReportedSecret[];
  totals: {
    secrets: number;
    rotations: number;
    onTime: number;
    late: number;
    unknown: number;
    rolledBack: number;
    outsideRotor: number;
    missed: number;
  };
}

/** What one audit event says about a secret's schedule. */
interface ScheduleFact {
  event: AuditEvent;
  nextRotation: string | null;
  lifecycle: string | null;
  /** A rotation recorded outside Rotor's checklist: when it happened. */
  rotatedOutside: { at: string; source: 'sync' | 'recorded' } | null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function factOf(event: AuditEvent): ScheduleFact {
  const { details } = event;
  const fact: ScheduleFact = { event, nextRotation: null, lifecycle: null, rotatedOutside: null };
  switch (event.action) {
    case 'secret.created': {
      const fields = record(details.fields);
      return { ...fact, nextRotation: text(fields.nextRotation), lifecycle: text(fields.lifecycle) ?? 'active' };
    }
    case 'secret.updated': {
      const changes = record(details.changes);
      const lastRotated = record(changes.lastRotated);
      const to = text(lastRotated.to);
      const from = text(lastRotated.from);
      const advanced = to !== null && (from === null || to > from);
      return {
        ...fact,
        nextRotation: text(record(changes.nextRotation).to),
        lifecycle: text(record(changes.lifecycle).to),
        rotatedOutside: advanced ? { at: to, source: 'recorded' } : null,
      };
    }
    case 'secret.rotated_by_hand':
      return {
        ...fact,
        nextRotation: text(details.nextRotation),
        lifecycle: 'active',
        rotatedOutside: { at: text(details.rotatedAt) ?? event.at, source: 'recorded' },
      };
    case 'secret.rotated_outside_rotor':
      return {
        ...fact,
        nextRotation: text(details.nextRotation),
        lifecycle: 'active',
        rotatedOutside: { at: text(details.rotatedAt) ?? event.at, source: 'sync' },
      };
    case 'secret.rotated':
    case 'secret.rotation_rolled_back':
      return { ...fact, nextRotation: text(details.nextRotation), lifecycle: 'active' };
    case 'secret.lifecycle_changed':
      return { ...fact, lifecycle: text(details.to) };
    default:
      return fact;
  }
}

/** The last due date the facts set, or `fallback`. */
function lastDue(facts: readonly ScheduleFact[], fallback: string | null): string | null {
  let due = fallback;
  for (const fact of facts) if (fact.nextRotation) due = fact.nextRotation;
  return due;
}

function dayAfter(date: string): string {
  return DateTime.fromISO(date, { zone: 'utc' }).plus({ days: 1 }).toISODate() as string;
}

/** Whole days from `from` to `to` (UTC dates). */
function daysBetween(from: string, to: string): number {
  return Math.round(
    DateTime.fromISO(to.slice(0, 10), { zone: 'utc' }).diff(DateTime.fromISO(from.slice(0, 10), { zone: 'utc' }), 'days').days,
  );
}

function timed(dueDate: string | null, date: string): { timeliness: Timeliness; daysLate: number | null } {
  if (!dueDate) return { timeliness: 'unknown', daysLate: null };
  const late = daysBetween(dueDate, date);
  return late > 0 ? { timeliness: 'late', daysLate: late } : { timeliness: 'on_time', daysLate: 0 };
}

function within(period: ReportPeriod, instant: string): boolean {
  const date = instant.slice(0, 10);
  return date >= period.since && date <= period.until;
}

function rotorRotation(record: RotationRecord, facts: readonly ScheduleFact[]): ReportedRotation {
  const { rotation } = record;
  const at = rotation.completedAt as string;
  const timing =
    rotation.state === 'rolled_back' ? { timeliness: 'rolled_back' as const, daysLate: null } : timed(rotation.previousNextRotation, at);
  return {
    source: 'rotor',
    rotationId: rotation.id,
    kind: rotation.kind,
    reason: rotation.reason,
    at,
    date: at.slice(0, 10),
    by: rotation.heldBy,
    ticket: rotation.ticket,
    approvals: record.approvals
      .filter((approval) => approval.decision === 'approved')
      .map((approval) => ({ role: approval.role, by: approval.decidedBy, at: approval.decidedAt })),
    dueDate: rotation.previousNextRotation,
    ...timing,
    versionId: rotation.newVersionId,
    auditSeq:
      facts.find((fact) => fact.event.action === 'secret.rotated' && fact.event.details.rotation === rotation.id)?.event.seq ?? null,
    via: null,
  };
}

function outsideRotation(fact: ScheduleFact, earlier: readonly ScheduleFact[]): ReportedRotation {
  const outside = fact.rotatedOutside as NonNullable<ScheduleFact['rotatedOutside']>;
  const { event } = fact;
  // The due date before the event: the one its details name, else the one the history had set.
  const dueDate = text(event.details.previousNextRotation) ?? lastDue(earlier, null);
  const at = DateTime.fromISO(outside.at, { zone: 'utc' }).toUTC().toISO() ?? outside.at;
  return {
    source: outside.source,
    rotationId: null,
    kind: null,
    reason: null,
    at,
    date: at.slice(0, 10),
    by: event.actor,
    ticket: null,
    approvals: [],
    dueDate,
    ...timed(dueDate, at),
    versionId: text(event.details.versionId),
    auditSeq: event.seq,
    via: outside.source === 'recorded' ? (text(event.details.source) ?? null) : null,
  };
}

/**
 * The secret's due date as of the end of `asOf`: what the events recorded by then set, then any
 * rotation found later by sync that had happened by then.
 */
function dueAsOf(facts: readonly ScheduleFact[], asOf: string, fallback: string): string {
  const end = dayAfter(asOf);
  const recorded = facts.filter((fact) => fact.event.at < end);
  const foundLater = facts.filter((fact) => fact.event.at >= end && fact.rotatedOutside?.source === 'sync' && fact.rotatedOutside.at < end);
  return lastDue([...recorded, ...foundLater], null) ?? fallback;
}

function reportSecret(
  input: RotationReportInput,
  secret: Secret,
  facts: readonly ScheduleFact[],
  rotations: readonly RotationRecord[],
): ReportedSecret | null {
  const { period } = input;
  const retirement =
    secret.lifecycle === 'retired'
      ? ([...facts].reverse().find((fact) => fact.lifecycle === 'retired')?.event.at ?? secret.updatedAt)
      : null;
  if (secret.createdAt.slice(0, 10) > period.until) return null;
  if (retirement && retirement.slice(0, 10) < period.since) return null;

  const reported = [
    ...rotations.map((rotation) => rotorRotation(rotation, facts)),
    ...facts.flatMap((fact, index) =>
      fact.rotatedOutside && within(period, fact.rotatedOutside.at) ? [outsideRotation(fact, facts.slice(0, index))] : [],
    ),
  ].sort((a, b) => a.at.localeCompare(b.at));

  const asOf = retirement && retirement.slice(0, 10) < period.until ? retirement.slice(0, 10) : period.until;
  const due = dueAsOf(facts, asOf, secret.nextRotation);
  // A secret due today, the period's last day, still has the day to be rotated in.
  const today = input.generatedAt.slice(0, 10);
  const dueToday = due === asOf && asOf === today ? due : null;
  const missed = due <= asOf && !dueToday ? { dueDate: due, daysOverdue: daysBetween(due, asOf), asOf } : null;
  return {
    name: secret.name,
    environment: secret.environment,
    type: secret.type,
    provider: secret.provider,
    owner: secret.owner,
    team: secret.team,
    lifecycle: secret.lifecycle,
    retiredAt: retirement,
    intervalDays: secret.intervalDays,
    policyIntervalDays: input.policyIntervals[secret.type],
    rotations: reported,
    missed,
    dueToday,
  };
}

/**
 * The population an auditor samples from: every secret in the inventory during the period
 * (retired ones too, if they still existed in it), each rotation completed in the period with
 * whether it was on time against the due date it was rotated against, and each secret that was
 * due by the end of the period (or its retirement) and not rotated since, with its days overdue.
 */
export function buildRotationReport(input: RotationReportInput): RotationReport {
  const factsBySecret = new Map<string, ScheduleFact[]>();
  for (const event of input.history) {
    if (!event.secret) continue;
    const facts = factsBySecret.get(event.secret) ?? [];
    facts.push(factOf(event));
    factsBySecret.set(event.secret, facts);
  }
  const rotationsBySecret = new Map<number, RotationRecord[]>();
  for (const rotation of input.rotations)
    rotationsBySecret.set(rotation.rotation.secretId, [...(rotationsBySecret.get(rotation.rotation.secretId) ?? []), rotation]);

  const secrets = [...input.secrets]
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((secret) => reportSecret(input, secret, factsBySecret.get(secret.name) ?? [], rotationsBySecret.get(secret.id) ?? []) ?? []);
  const all = secrets.flatMap((secret) => secret.rotations);
  const count = (timeliness: Timeliness) => all.filter((rotation) => rotation.timeliness === timeliness).length;
  return {
    period: input.period,
    generatedAt: input.generatedAt,
    people: input.people,
    chainCheck: input.chainCheck,
    secrets,
    totals: {
      secrets: secrets.length,
      rotations: all.filter((rotation) => rotation.timeliness !== 'rolled_back').length,
      onTime: count('on_time'),
      late: count('late'),
      unknown: count('unknown'),
      rolledBack: count('rolled_back'),
      outsideRotor: all.filter((rotation) => rotation.source !== 'rotor').length,
      missed: secrets.filter((secret) => secret.missed).length,
    },
  };
}
