import type { EscalationLevel } from '../config/policy.js';
import type { Lifecycle, ProviderKind } from '../inventory/secret.js';
import type { RevocationOrder } from '../rotation/checklists/emergency-template.js';
import type { Db } from '../storage/database.js';
import { setClause } from '../storage/set-clause.js';
import { statement } from '../storage/statements.js';
import { uniqueInsert } from '../storage/unique-conflict.js';
import type { Incident, IncidentEvent, IncidentPage, IncidentRecord, Severity } from './incident.js';

interface IncidentRow {
  id: number;
  secret_id: number;
  secret_name: string;
  state: string;
  severity: string;
  reason: string;
  ticket: string | null;
  channel: string;
  responder: string;
  revocation_order: string;
  destroy: number;
  provider: string;
  provider_ref: string | null;
  compromised_version_id: string | null;
  compromised_fingerprint: string | null;
  previous_lifecycle: string;
  rotation_id: number | null;
  opened_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  last_update_at: string;
  signed_off_by: string | null;
  signed_off_at: string | null;
  closed_at: string | null;
  closed_by: string | null;
  postmortem_url: string | null;
  status_ts: string | null;
  version: number;
}

function incidentFromRow(row: IncidentRow): Incident {
  return {
    id: row.id,
    secretId: row.secret_id,
    secretName: row.secret_name,
    state: row.state as Incident['state'],
    severity: row.severity as Severity,
    reason: row.reason,
    ticket: row.ticket,
    channel: row.channel,
    responder: row.responder,
    revocationOrder: row.revocation_order as RevocationOrder,
    destroy: row.destroy === 1,
    provider: row.provider as ProviderKind,
    providerRef: row.provider_ref,
    compromisedVersionId: row.compromised_version_id,
    compromisedFingerprint: row.compromised_fingerprint,
    previousLifecycle: row.previous_lifecycle as Lifecycle,
    rotationId: row.rotation_id,
    openedAt: row.opened_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    lastUpdateAt: row.last_update_at,
    signedOffBy: row.signed_off_by,
    signedOffAt: row.signed_off_at,
    closedAt: row.closed_at,
    closedBy: row.closed_by,
    postmortemUrl: row.postmortem_url,
    statusTs: row.status_ts,
    version: row.version,
  };
}

const CHANGE_COLUMNS = {
  rotationId: 'rotation_id',
  acknowledgedAt: 'acknowledged_at',
  acknowledgedBy: 'acknowledged_by',
  lastUpdateAt: 'last_update_at',
  signedOffBy: 'signed_off_by',
  signedOffAt: 'signed_off_at',
  state: 'state',
  closedAt: 'closed_at',
  closedBy: 'closed_by',
  postmortemUrl: 'postmortem_url',
  compromisedVersionId: 'compromised_version_id',
  compromisedFingerprint: 'compromised_fingerprint',
} as const satisfies Partial<Record<keyof Incident, string>>;

export type IncidentChange = Partial<Pick<Incident, keyof typeof CHANGE_COLUMNS>>;

export type NewIncident = Omit<
  Incident,
  | 'id'
  | 'state'
  | 'rotationId'
  | 'acknowledgedAt'
  | 'acknowledgedBy'
  | 'lastUpdateAt'
  | 'signedOffBy'
  | 'signedOffAt'
  | 'closedAt'
  | 'closedBy'
  | 'postmortemUrl'
  | 'statusTs'
  | 'version'
>;

/**
 * Incidents, their timeline and their pages. Changes are conditional on the incident's state,
 * and events carry a key that makes a retried write land once.
 */
export class IncidentRepo {
  constructor(private readonly db: Db) {}

  /** Opens an incident; a UniqueConflictError when the secret has an open incident already. */
  insert(incident: NewIncident): number {
    return uniqueInsert('an open incident on the secret', () =>
      Number(
        statement(
          this.db,
          `INSERT INTO incidents (secret_id, secret_name, state, severity, reason, ticket, channel, responder, revocation_order, destroy, provider, provider_ref,
           compromised_version_id, compromised_fingerprint, previous_lifecycle, opened_at, last_update_at)
         VALUES (@secretId, @secretName, 'open', @severity, @reason, @ticket, @channel, @responder, @revocationOrder, @destroy, @provider, @providerRef,
           @compromisedVersionId, @compromisedFingerprint, @previousLifecycle, @openedAt, @openedAt)`,
        ).run({ ...incident, destroy: incident.destroy ? 1 : 0 }).lastInsertRowid,
      ),
    );
  }

  /** The incident alone, without its timeline and pages: what a change needs to look at. */
  find(id: number): Incident | null {
    const row = statement(this.db, 'SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow | undefined;
    return row ? incidentFromRow(row) : null;
  }

  get(id: number): IncidentRecord | null {
    const incident = this.find(id);
    return incident ? this.withDetails(incident) : null;
  }

  openFor(secretId: number): IncidentRecord | null {
    const row = statement(this.db, `SELECT * FROM incidents WHERE secret_id = ? AND state = 'open'`).get(secretId) as
      | IncidentRow
      | undefined;
    return row ? this.withDetails(incidentFromRow(row)) : null;
  }

  /** The incident an emergency rotation belongs to. */
  ofRotation(rotationId: number): Incident | null {
    const row = statement(this.db, 'SELECT * FROM incidents WHERE rotation_id = ?').get(rotationId) as IncidentRow | undefined;
    return row ? incidentFromRow(row) : null;
  }

  list(filter: { open?: boolean } = {}): Incident[] {
    return (
      statement(this.db, `SELECT * FROM incidents WHERE (@open = 0 OR state = 'open') ORDER BY id DESC`).all({
        open: filter.open ? 1 : 0,
      }) as IncidentRow[]
    ).map(incidentFromRow);
  }

  countOpen(): number {
    return statement(this.db, `SELECT count(*) FROM incidents WHERE state = 'open'`).pluck().get() as number;
  }

  /** Applies a change (and bumps the version) while the incident is in `fromState`; false otherwise. */
  update(id: number, change: IncidentChange, fromState: Incident['state'] = 'open'): boolean {
    const { sets, params } = setClause(change, CHANGE_COLUMNS);
    return (
      statement(this.db, `UPDATE incidents SET ${[...sets, 'version = version + 1'].join(', ')} WHERE id = @id AND state = @fromState`).run(
        { ...params, id, fromState },
      ).changes === 1
    );
  }

  /** Where the status message was posted; set once (a second post is a bug the first wins). */
  setStatusMessage(id: number, ts: string): void {
    statement(this.db, 'UPDATE incidents SET status_ts = ? WHERE id = ? AND status_ts IS NULL').run(ts, id);
  }

  /** Records an event once per key; returns its id (the existing one for a repeat). */
  addEvent(
    incidentId: number,
    event: { at: string; actor: string; kind: string; key: string; summary: string; details?: Record<string, unknown> },
  ): { id: number; added: boolean } {
    const inserted = statement(
      this.db,
      `INSERT INTO incident_events (incident_id, at, actor, kind, dedupe_key, summary, details) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (incident_id, dedupe_key) DO NOTHING`,
    ).run(incidentId, event.at, event.actor, event.kind, event.key, event.summary, JSON.stringify(event.details ?? {}));
    if (inserted.changes === 1) return { id: Number(inserted.lastInsertRowid), added: true };
    const existing = statement(this.db, 'SELECT id FROM incident_events WHERE incident_id = ? AND dedupe_key = ?')
      .pluck()
      .get(incidentId, event.key) as number;
    return { id: existing, added: false };
  }

  eventByKey(incidentId: number, key: string): IncidentEvent | null {
    const row = statement(this.db, 'SELECT * FROM incident_events WHERE incident_id = ? AND dedupe_key = ?').get(incidentId, key) as
      | EventRow
      | undefined;
    return row ? eventFromRow(row) : null;
  }

  /** Records a page once per person; false when they were paged already. */
  addPage(incidentId: number, userId: string, level: IncidentPage['level'], at: string): boolean {
    return (
      statement(
        this.db,
        `INSERT INTO incident_pages (incident_id, user_id, level, paged_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(incidentId, userId, level, at).changes === 1
    );
  }

  acknowledgePage(incidentId: number, userId: string, at: string): boolean {
    return (
      statement(
        this.db,
        'UPDATE incident_pages SET acknowledged_at = ? WHERE incident_id = ? AND user_id = ? AND acknowledged_at IS NULL',
      ).run(at, incidentId, userId).changes === 1
    );
  }

  private withDetails(incident: Incident): IncidentRecord {
    const events = (
      statement(this.db, 'SELECT * FROM incident_events WHERE incident_id = ? ORDER BY id').all(incident.id) as EventRow[]
    ).map(eventFromRow);
    const pages = (
      statement(
        this.db,
        'SELECT user_id, level, paged_at, acknowledged_at FROM incident_pages WHERE incident_id = ? ORDER BY paged_at, user_id',
      ).all(incident.id) as PageRow[]
    ).map((row) => ({
      userId: row.user_id,
      level: row.level as EscalationLevel | 'security',
      pagedAt: row.paged_at,
      acknowledgedAt: row.acknowledged_at,
    }));
    return { incident, events, pages };
  }
}

interface EventRow {
  id: number;
  incident_id: number;
  at: string;
  actor: string;
  kind: string;
  summary: string;
  details: string;
}

interface PageRow {
  user_id: string;
  level: string;
  paged_at: string;
  acknowledged_at: string | null;
}

function eventFromRow(row: EventRow): IncidentEvent {
  return {
    id: row.id,
    incidentId: row.incident_id,
    at: row.at,
    actor: row.actor,
    kind: row.kind,
    summary: row.summary,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}
