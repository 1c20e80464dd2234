import type { EscalationLevel } from '../config/policy.js';
import type { Lifecycle, ProviderKind } from '../inventory/secret.js';
import type { StoreBinding } from '../providers/store-binding.js';
import type { RevocationOrder } from '../rotation/checklists/emergency-template.js';

export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Incident {
  id: number;
  secretId: number;
  secretName: string;
  state: 'open' | 'closed';
  severity: Severity;
  reason: string;
  ticket: string | null;
  /** The incident channel `/revoke` ran in: where the status message lives. */
  channel: string;
  /** Who revoked the secret and leads the incident. */
  responder: string;
  revocationOrder: RevocationOrder;
  /** Vault: destroy the compromised version's data instead of a soft delete. */
  destroy: boolean;
  /**
   * The store secret the incident acts on: the secret's provider and reference when it was
   * revoked. Its emergency rotation is bound to it, whatever the inventory says later.
   */
  provider: ProviderKind;
  providerRef: string | null;
  /** The version current when the secret was revoked: the one to disable. */
  compromisedVersionId: string | null;
  compromisedFingerprint: string | null;
  previousLifecycle: Lifecycle;
  rotationId: number | null;
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  /** The last status update (or the opening): the status request cadence counts from here. */
  lastUpdateAt: string;
  /** Security's retrospective sign-off of the break-glass rotation. */
  signedOffBy: string | null;
  signedOffAt: string | null;
  closedAt: string | null;
  closedBy: string | null;
  postmortemUrl: string | null;
  /** The status message in `channel`, once posted: every change redraws it in place. */
  statusTs: string | null;
  version: number;
}

/** One line of the incident's timeline (its status message thread, its evidence). */
export interface IncidentEvent {
  id: number;
  incidentId: number;
  at: string;
  actor: string;
  kind: string;
  summary: string;
  details: Record<string, unknown>;
}

export interface IncidentPage {
  userId: string;
  level: EscalationLevel | 'security';
  pagedAt: string;
  acknowledgedAt: string | null;
}

export interface IncidentRecord {
  incident: Incident;
  events: IncidentEvent[];
  pages: IncidentPage[];
}

/** The follow-ups an incident schedules; the Slack layer renders and sends those that post. */
export const INCIDENT_FOLLOW_UPS = {
  /** Starts the emergency rotation (and disables at once when asked), if a crash stopped `/revoke` first (database and provider). */
  proceed: 'incident.proceed',
  /** The status message in the incident channel, posted once. */
  statusPost: 'incident.status_post',
  /** The status message redrawn in place; occurrence: `v<incident version>` (older ones are moot). */
  statusRefresh: 'incident.status_refresh',
  /** One event in the status message's thread; occurrence: the event id. */
  threadEvent: 'incident.thread_event',
  /** DM to a paged person, with Acknowledge; occurrence: the user id. */
  page: 'incident.page',
  /** No acknowledgement yet: page the next level (database only); occurrence: the step number. */
  escalate: 'incident.escalate',
  /** DM to the lead asking for a status update; occurrence: `v<incident version when scheduled>`. */
  statusRequest: 'incident.status_request',
  /** DM to a security lead asking for the retrospective sign-off of the break-glass rotation; occurrence: user id. */
  signOffRequest: 'incident.sign_off_request',
  /** The postmortem reminder to the lead and security, daily until closed; occurrence: `<day>:<user id>`. */
  postmortem: 'incident.postmortem',
} as const;

export function incidentTopic(incidentId: number): string {
  return `incident:${incidentId}`;
}

export function incidentIdOfTopic(topic: string): number | null {
  const match = /^incident:(\d+)$/.exec(topic);
  return match ? Number(match[1]) : null;
}

/** The store secret the incident acts on, as captured when it opened. */
export function storeBindingOfIncident(incident: Pick<Incident, 'secretName' | 'provider' | 'providerRef'>): StoreBinding {
  return { name: incident.secretName, provider: incident.provider, providerRef: incident.providerRef };
}
