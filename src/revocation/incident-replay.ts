import type { AuditEvent } from '../audit/audit-event.js';
import { DifferenceList, sameInstant, shown, type ChainCheck } from '../audit/chain-difference.js';
import type { ReplayedSecret } from '../inventory/inventory-replay.js';
import type { RotationReplay } from '../rotation/history/rotation-replay.js';
import type { Incident, IncidentPage, IncidentRecord } from './incident.js';
import { timelineSeqs } from './incident-evidence.js';

interface Stamp {
  seq: number;
  at: string;
  by: string;
}

/** An incident as its audit events tell it. */
export interface IncidentReplay {
  id: number;
  opened: Stamp & { secret: string | null; details: Record<string, unknown> };
  /** The lifecycle the secret had before it was marked compromised. */
  previousLifecycle: string | null;
  acknowledgements: (Stamp & { first: boolean; paged: boolean })[];
  /** Who was paged, first when, at which level: at the opening, then by each escalation. */
  pages: Map<string, Stamp & { level: string | null }>;
  signedOff: Stamp | null;
  closed: (Stamp & { postmortemUrl: string | null }) | null;
  /** The emergency rotation it started. */
  rotationId: number | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const people = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((person): person is string => typeof person === 'string') : [];

/** Replays the events that name incident `id`, oldest first; null when none opened it. */
export function replayIncident(id: number, events: readonly AuditEvent[]): IncidentReplay | null {
  let replay: IncidentReplay | null = null;
  let previousLifecycle: string | null = null;
  for (const event of events) {
    if (event.details.incident !== id) continue;
    const stamp: Stamp = { seq: event.seq, at: event.at, by: event.actor };
    const { details } = event;
    if (event.action === 'secret.lifecycle_changed' && details.to === 'compromised') previousLifecycle = text(details.from);
    if (event.action === 'incident.opened') {
      replay = {
        id,
        opened: { ...stamp, secret: event.secret, details },
        previousLifecycle,
        acknowledgements: [],
        pages: new Map(),
        signedOff: null,
        closed: null,
        rotationId: null,
      };
      const levels =
        typeof details.pageLevels === 'object' && details.pageLevels !== null ? (details.pageLevels as Record<string, unknown>) : {};
      for (const person of people(details.paged)) replay.pages.set(person, { ...stamp, level: text(levels[person]) });
      continue;
    }
    if (!replay) continue;
    switch (event.action) {
      case 'incident.acknowledged':
        replay.acknowledgements.push({ ...stamp, first: details.first === true, paged: details.paged === true });
        break;
      case 'incident.escalated':
        for (const person of people(details.paged))
          if (!replay.pages.has(person)) replay.pages.set(person, { ...stamp, level: text(details.level) });
        break;
      case 'incident.signed_off':
        replay.signedOff = stamp;
        break;
      case 'incident.closed':
        replay.closed = { ...stamp, postmortemUrl: text(details.postmortemUrl) };
        break;
      case 'rotation.started':
        if (details.kind === 'emergency' && typeof details.rotation === 'number') replay.rotationId = details.rotation;
        break;
      default:
        break;
    }
  }
  return replay;
}

/** Timeline kinds whose row is written by the person of its audit event. */
const SAME_PERSON_KINDS = new Set([
  'opened',
  'compromised',
  'acknowledged',
  'status_update',
  'signed_off',
  'closed',
  'rotation_started',
  'step_done',
  'disabled',
  'step_skipped',
  'rotation_taken_over',
  'rotation_completed',
  'rotation_abandoned',
]);

/**
 * Checks an incident as the tables hold it against its replay: the facts the evidence prints,
 * the pages and acknowledgements, and each timeline row against its audit event. Returns the
 * incident with the chain's facts where they differ, and each difference named. `before`: its
 * secret as the chain had it when the incident opened; `rotation`: its emergency rotation's replay.
 */
export function checkIncident(
  record: IncidentRecord,
  replay: IncidentReplay | null,
  context: { before: ReplayedSecret | null; rotation: RotationReplay | null; trail: readonly AuditEvent[] },
): { record: IncidentRecord; check: ChainCheck } {
  const { incident } = record;
  const list = new DifferenceList(`incident #${incident.id}`);
  if (!replay) {
    list.add('its opening', `it opened at ${incident.openedAt} by ${incident.responder}`, null, null);
    return { record, check: list.check() };
  }
  const fixed: Incident = { ...incident };
  const opened = replay.opened;
  const field = <K extends keyof Incident>(fact: string, key: K, chain: Incident[K], seq: number, instant = false) => {
    const same = instant
      ? list.compareInstant(fact, incident[key] as string | null, chain as string | null, seq)
      : list.compare(fact, incident[key], chain, seq);
    if (!same) fixed[key] = chain;
  };
  if (opened.secret) field('secret', 'secretName', opened.secret, opened.seq);
  field('severity', 'severity', (text(opened.details.severity) ?? incident.severity) as Incident['severity'], opened.seq);
  field('reason', 'reason', text(opened.details.reason) ?? '', opened.seq);
  field('incident ticket', 'ticket', text(opened.details.ticket), opened.seq);
  field('incident channel', 'channel', text(opened.details.channel) ?? incident.channel, opened.seq);
  field('responder', 'responder', opened.by, opened.seq);
  field(
    'order of disabling',
    'revocationOrder',
    (text(opened.details.order) ?? incident.revocationOrder) as Incident['revocationOrder'],
    opened.seq,
  );
  field('destroy', 'destroy', opened.details.destroy === true, opened.seq);
  field('opened at', 'openedAt', opened.at, opened.seq, true);
  if (replay.previousLifecycle !== null)
    field('lifecycle before it', 'previousLifecycle', replay.previousLifecycle as Incident['previousLifecycle'], opened.seq);
  const first = replay.acknowledgements.find((acknowledgement) => acknowledgement.first);
  field('first acknowledged by', 'acknowledgedBy', first?.by ?? null, first?.seq ?? opened.seq);
  field('first acknowledged at', 'acknowledgedAt', first?.at ?? null, first?.seq ?? opened.seq, true);
  field('signed off by', 'signedOffBy', replay.signedOff?.by ?? null, replay.signedOff?.seq ?? opened.seq);
  field('signed off at', 'signedOffAt', replay.signedOff?.at ?? null, replay.signedOff?.seq ?? opened.seq, true);
  field('state', 'state', replay.closed ? 'closed' : 'open', replay.closed?.seq ?? opened.seq);
  field('closed by', 'closedBy', replay.closed?.by ?? null, replay.closed?.seq ?? opened.seq);
  field('closed at', 'closedAt', replay.closed?.at ?? null, replay.closed?.seq ?? opened.seq, true);
  field('postmortem', 'postmortemUrl', replay.closed?.postmortemUrl ?? null, replay.closed?.seq ?? opened.seq);
  field('emergency rotation', 'rotationId', replay.rotationId, opened.seq);
  checkCompromised(incident, fixed, replay, context, list);
  checkPages(record, replay, list);
  checkTimeline(record, context.trail, replay.rotationId, list);
  return { record: { ...record, incident: fixed }, check: list.check() };
}

/**
 * The compromised version: the one the emergency rotation started from, else the one the
 * secret had when the incident opened, else the one its disable step disabled.
 */
function checkCompromised(
  incident: Incident,
  fixed: Incident,
  replay: IncidentReplay,
  context: { before: ReplayedSecret | null; rotation: RotationReplay | null },
  list: DifferenceList,
): void {
  const started = context.rotation?.started;
  const fromRotation = started ? text(started.details.previousVersionId) : null;
  const atOpening = context.before ? ((context.before.fields.currentVersionId as string | null) ?? null) : undefined;
  const disabled = context.rotation?.steps.get('disable_compromised')?.versionId ?? null;
  const versionId = fromRotation ?? atOpening ?? disabled;
  if (versionId === undefined) {
    if (incident.compromisedVersionId !== null) list.notCovered('compromised version');
  } else if (!list.compare('compromised version', incident.compromisedVersionId, versionId, started?.seq ?? replay.opened.seq))
    fixed.compromisedVersionId = versionId;
  if (started && fromRotation !== null) {
    if ('previousFingerprint' in started.details) {
      const fingerprint = text(started.details.previousFingerprint);
      if (!list.compare('compromised fingerprint', incident.compromisedFingerprint, fingerprint, started.seq))
        fixed.compromisedFingerprint = fingerprint;
    } else if (incident.compromisedFingerprint !== null) list.notCovered('compromised fingerprint');
  } else if (context.before) {
    const fingerprint = (context.before.fields.currentFingerprint as string | null) ?? null;
    if (!list.compare('compromised fingerprint', incident.compromisedFingerprint, fingerprint, replay.opened.seq))
      fixed.compromisedFingerprint = fingerprint;
  }
}

/** Who was paged and when, and when each paged person acknowledged. */
function checkPages(record: IncidentRecord, replay: IncidentReplay, list: DifferenceList): void {
  const acknowledged = new Map(
    replay.acknowledgements
      .filter((acknowledgement) => acknowledgement.paged)
      .map((acknowledgement) => [acknowledgement.by, acknowledgement]),
  );
  const describe = (page: Pick<IncidentPage, 'userId' | 'pagedAt'>) => `${page.userId} paged at ${page.pagedAt}`;
  for (const page of record.pages) {
    const chain = replay.pages.get(page.userId);
    const label = `page of ${page.userId}`;
    if (!chain) {
      list.add(label, describe(page), null, null);
      continue;
    }
    list.compareInstant(`${label}: when`, page.pagedAt, chain.at, chain.seq);
    if (chain.level !== null) list.compare(`${label}: level`, page.level, chain.level, chain.seq);
    else list.notCovered(`${label}: level (paged at the opening, before Rotor recorded levels)`);
    const ack = acknowledged.get(page.userId);
    list.compareInstant(`${label}: acknowledged at`, page.acknowledgedAt, ack?.at ?? null, ack?.seq ?? chain.seq);
  }
  for (const [userId, chain] of replay.pages) {
    if (!record.pages.some((page) => page.userId === userId))
      list.add(`page of ${userId}`, null, describe({ userId, pagedAt: chain.at }), chain.seq);
  }
}

/** Each timeline row against the audit event that records it: one without is not on the chain. */
function checkTimeline(record: IncidentRecord, trail: readonly AuditEvent[], rotationId: number | null, list: DifferenceList): void {
  const seqs = timelineSeqs(record.events, trail);
  // The other way: an audit event the incident always writes a timeline row with, whose row is gone.
  const matched = new Set(seqs.filter((seq): seq is number => seq !== null));
  for (const audit of trail) {
    if (!matched.has(audit.seq) && writesTimelineRow(audit, rotationId))
      list.add(`timeline row of ${audit.action}`, null, shown(`${audit.action} by ${audit.actor} at ${audit.at}`), audit.seq);
  }
  const bySeq = new Map(trail.map((event) => [event.seq, event]));
  record.events.forEach((event, index) => {
    const label = `timeline row ${index + 1} (${event.kind})`;
    const seq = seqs[index] ?? null;
    const audit = seq === null ? undefined : bySeq.get(seq);
    if (!audit) {
      // Rows with no audit event of their own by design (a rotation that failed to start, a page) are not facts of the chain.
      if (seqs[index] === null && hasAuditEvent(event.kind))
        list.add(label, `“${event.summary}” by ${event.actor} at ${event.at}`, null, null);
      return;
    }
    if (SAME_PERSON_KINDS.has(event.kind)) list.compare(`${label}: by`, event.actor, audit.actor, audit.seq);
    if (!sameInstant(event.at, audit.at)) list.compareInstant(`${label}: when`, event.at, audit.at, audit.seq);
  });
}

/** The incident's own actions, each written together with a timeline row. */
const INCIDENT_ROW_ACTIONS = new Set([
  'incident.opened',
  'incident.acknowledged',
  'incident.status_update',
  'incident.escalated',
  'incident.signed_off',
  'incident.closed',
]);
/** The emergency rotation's actions the incident's timeline records (see incidentEventsOf). */
const ROTATION_ROW_ACTIONS = new Set([
  'rotation.started',
  'rotation.step_done',
  'rotation.step_failed',
  'rotation.step_skipped',
  'rotation.step_waiting',
  'rotation.taken_over',
  'rotation.completed',
  'rotation.abandoned',
]);

/** Whether an audit event of the incident (or of its emergency rotation) always comes with a timeline row. */
function writesTimelineRow(audit: AuditEvent, rotationId: number | null): boolean {
  if (INCIDENT_ROW_ACTIONS.has(audit.action)) return true;
  if (audit.action === 'secret.lifecycle_changed') return audit.details.to === 'compromised';
  return rotationId !== null && audit.details.rotation === rotationId && ROTATION_ROW_ACTIONS.has(audit.action);
}

/** Timeline kinds each recorded with an audit event of their own. */
function hasAuditEvent(kind: string): boolean {
  return (
    SAME_PERSON_KINDS.has(kind) ||
    kind === 'escalated' ||
    kind === 'escalation_exhausted' ||
    kind === 'step_failed' ||
    kind === 'step_waiting'
  );
}

/** An incident the chain opened that the tables no longer hold. */
export function missingIncident(replay: IncidentReplay): ChainCheck {
  const list = new DifferenceList(`incident #${replay.id}`);
  list.add('its row', null, `it opened at ${replay.opened.at} by ${replay.opened.by}`, replay.opened.seq);
  return list.check();
}
