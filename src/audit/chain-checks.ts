import { checkSecret, isInventoryEvent, missingSecrets, replaySecret, type ReplayedSecret } from '../inventory/inventory-replay.js';
import type { InventoryRepo } from '../inventory/inventory-repo.js';
import type { Secret } from '../inventory/secret.js';
import type { IncidentRecord } from '../revocation/incident.js';
import type { IncidentRepo } from '../revocation/incident-repo.js';
import { checkIncident, missingIncident, replayIncident } from '../revocation/incident-replay.js';
import type { RotationRecord } from '../rotation/rotation.js';
import type { RotationRepo } from '../rotation/rotation-repo.js';
import { checkRotation, missingRotation, replayRotation } from '../rotation/history/rotation-replay.js';
import type { AuditEvent } from './audit-event.js';
import type { AuditTrailRepo } from './audit-trail-repo.js';
import { mergeChecks, type ChainCheck } from './chain-difference.js';

/**
 * Where a check reads the chain's side: one query per subject for an evidence record or a
 * report, or the whole log read once for `rotor audit verify --deep`.
 */
export interface ChainSource {
  rotationEvents(rotationId: number): readonly AuditEvent[];
  incidentEvents(incidentId: number): readonly AuditEvent[];
  secretEvents(name: string): readonly AuditEvent[];
}

function append<K>(index: Map<K, AuditEvent[]>, key: K, event: AuditEvent): void {
  const events = index.get(key);
  if (events) events.push(event);
  else index.set(key, [event]);
}

/**
 * The chain read subject by subject from the audit trail; with `everySecret` (a report checks
 * the whole inventory), the inventory's events are read once and indexed instead.
 */
export function trailSource(trail: AuditTrailRepo, options: { everySecret?: boolean } = {}): ChainSource {
  let bySecret: Map<string, AuditEvent[]> | null = null;
  if (options.everySecret) {
    bySecret = new Map();
    for (const event of trail.secretHistory()) if (event.secret) append(bySecret, event.secret, event);
  }
  return {
    rotationEvents: (id) => trail.namingRotation(id),
    incidentEvents: (id) => trail.namingIncident(id),
    secretEvents: (name) => (bySecret ? (bySecret.get(name) ?? []) : trail.secretHistory(name)),
  };
}

/** The whole chain, read once and indexed by subject. */
export function loadedSource(
  events: Iterable<AuditEvent>,
): ChainSource & { rotationIds: Set<number>; incidentIds: Set<number>; secretNames: Set<string> } {
  const byRotation = new Map<number, AuditEvent[]>();
  const byIncident = new Map<number, AuditEvent[]>();
  const bySecret = new Map<string, AuditEvent[]>();
  for (const event of events) {
    if (typeof event.details.rotation === 'number') append(byRotation, event.details.rotation, event);
    if (typeof event.details.incident === 'number') append(byIncident, event.details.incident, event);
    if (event.secret && isInventoryEvent(event.action)) append(bySecret, event.secret, event);
  }
  const started = (index: Map<number, AuditEvent[]>, action: string) =>
    new Set([...index].filter(([, events]) => events.some((event) => event.action === action)).map(([id]) => id));
  return {
    rotationEvents: (id) => byRotation.get(id) ?? [],
    incidentEvents: (id) => byIncident.get(id) ?? [],
    secretEvents: (name) => bySecret.get(name) ?? [],
    rotationIds: started(byRotation, 'rotation.started'),
    incidentIds: started(byIncident, 'incident.opened'),
    secretNames: new Set(
      [...bySecret].filter(([, events]) => events.some((event) => event.action === 'secret.created')).map(([name]) => name),
    ),
  };
}

/** The secret as the chain had it just before event `seq`, leaving out the events of `exclude` (the subject's own). */
function secretBefore(
  source: ChainSource,
  name: string | null,
  seq: number,
  exclude: (event: AuditEvent) => boolean,
): ReplayedSecret | null {
  if (!name) return null;
  return replaySecret(
    name,
    source.secretEvents(name).filter((event) => event.seq < seq && !exclude(event)),
  );
}

/** A rotation checked against its events: the record with the chain's facts, and the differences. */
export function checkedRotation(record: RotationRecord, source: ChainSource): { record: RotationRecord; check: ChainCheck } {
  const id = record.rotation.id;
  const replay = replayRotation(id, source.rotationEvents(id));
  const before = replay ? secretBefore(source, replay.started.secret, replay.started.seq, (event) => event.details.rotation === id) : null;
  return checkRotation(record, replay, before);
}

/** An incident checked against its events: the record with the chain's facts, and the differences. */
export function checkedIncident(record: IncidentRecord, source: ChainSource): { record: IncidentRecord; check: ChainCheck } {
  const id = record.incident.id;
  const own = source.incidentEvents(id);
  const replay = replayIncident(id, own);
  const before = replay ? secretBefore(source, replay.opened.secret, replay.opened.seq, (event) => event.details.incident === id) : null;
  const rotationEvents = replay?.rotationId ? source.rotationEvents(replay.rotationId) : [];
  const rotation = replay?.rotationId ? replayRotation(replay.rotationId, rotationEvents) : null;
  const trail = [...new Map([...own, ...rotationEvents].map((event) => [event.seq, event])).values()].sort((a, b) => a.seq - b.seq);
  return checkIncident(record, replay, { before, rotation, trail });
}

/** A secret as the inventory holds it, checked against its events. */
export function checkedSecret(secret: Secret, source: ChainSource): { secret: Secret; check: ChainCheck } {
  return checkSecret(secret, replaySecret(secret.name, source.secretEvents(secret.name)));
}

export interface DeepReport extends ChainCheck {
  rotations: number;
  incidents: number;
  secrets: number;
}

/**
 * `rotor audit verify --deep`: replays every audit event and compares what it builds with the
 * rotation, incident and inventory tables, row by row, both ways (a row the chain never wrote,
 * a row the chain wrote and the tables lost).
 */
export function verifyTablesAgainstChain(deps: {
  trail: AuditTrailRepo;
  rotations: RotationRepo;
  incidents: IncidentRepo;
  inventory: InventoryRepo;
}): DeepReport {
  return deps.trail.snapshot(() => {
    const source = loadedSource(deps.trail.all());
    const checks: ChainCheck[] = [];
    const rotationIds = new Set(deps.rotations.list().map((rotation) => rotation.id));
    for (const id of rotationIds) checks.push(checkedRotation(deps.rotations.get(id) as RotationRecord, source).check);
    for (const id of source.rotationIds) {
      if (rotationIds.has(id)) continue;
      const replay = replayRotation(id, source.rotationEvents(id));
      if (replay) checks.push(missingRotation(replay));
    }
    const incidentIds = new Set(deps.incidents.list().map((incident) => incident.id));
    for (const id of incidentIds) checks.push(checkedIncident(deps.incidents.get(id) as IncidentRecord, source).check);
    for (const id of source.incidentIds) {
      if (incidentIds.has(id)) continue;
      const replay = replayIncident(id, source.incidentEvents(id));
      if (replay) checks.push(missingIncident(replay));
    }
    const names = deps.inventory.names();
    const secrets = deps.inventory.getMany(names);
    for (const secret of secrets.values()) checks.push(checkedSecret(secret, source).check);
    const replayed = [...source.secretNames].flatMap((name) => replaySecret(name, source.secretEvents(name)) ?? []);
    checks.push(missingSecrets(new Set(names), replayed));
    return { rotations: rotationIds.size, incidents: incidentIds.size, secrets: secrets.size, ...mergeChecks(...checks) };
  });
}
