import { DateTime } from 'luxon';
import { isOpen, type RotationRecord } from '../rotation/rotation.js';
import { currentStep, settledSteps } from '../rotation/rotation-rules.js';
import { shortFingerprint, stateLabel } from '../rotation/history/rotation-summary.js';
import type { Incident, IncidentRecord } from './incident.js';

/** One incident as `rotor incidents list` shows it (and `--json` prints it). */
export interface IncidentSummary {
  id: number;
  secret: string;
  severity: Incident['severity'];
  state: Incident['state'];
  reason: string;
  ticket: string | null;
  channel: string;
  responder: string;
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  /** The emergency rotation and where it stands; null if it never started. */
  rotation: { id: number; state: RotationRecord['rotation']['state'] } | null;
  signedOffBy: string | null;
  closedAt: string | null;
  closedBy: string | null;
  postmortemUrl: string | null;
}

export function summarizeIncident(incident: Incident, rotation: RotationRecord | null): IncidentSummary {
  return {
    id: incident.id,
    secret: incident.secretName,
    severity: incident.severity,
    state: incident.state,
    reason: incident.reason,
    ticket: incident.ticket,
    channel: incident.channel,
    responder: incident.responder,
    openedAt: incident.openedAt,
    acknowledgedAt: incident.acknowledgedAt,
    acknowledgedBy: incident.acknowledgedBy,
    rotation: rotation ? { id: rotation.rotation.id, state: rotation.rotation.state } : null,
    signedOffBy: incident.signedOffBy,
    closedAt: incident.closedAt,
    closedBy: incident.closedBy,
    postmortemUrl: incident.postmortemUrl,
  };
}

/** How the compromised version is taken out of service, in words. */
export function orderLabel(order: Incident['revocationOrder']): string {
  return order === 'disable_now' ? 'disable now' : 'replace, then disable';
}

/** The time between two instants, as people say it: `7 min`, `2 h 5 min`, `3 d 4 h`. */
export function elapsed(from: string, to: string): string {
  const minutes = Math.max(0, Math.round(DateTime.fromISO(to).diff(DateTime.fromISO(from)).as('minutes')));
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return `${Math.floor(hours / 24)} d${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

/** `2027-02-01T10:00:00.000Z` → `2027-02-01 10:00Z`, for narrow columns. */
function minute(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
}

function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => (row[index] as string).length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, index) => cell.padEnd(widths[index] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderIncidentList(summaries: readonly IncidentSummary[]): string {
  if (summaries.length === 0) return 'No incidents.';
  const rows = summaries.map((summary) => [
    `#${summary.id}`,
    summary.secret,
    summary.severity,
    summary.state,
    summary.responder,
    minute(summary.openedAt),
    summary.acknowledgedAt ? `${summary.acknowledgedBy ?? '-'} after ${elapsed(summary.openedAt, summary.acknowledgedAt)}` : 'no',
    summary.rotation ? `#${summary.rotation.id} ${stateLabel(summary.rotation.state)}` : 'not started',
    summary.postmortemUrl ?? '-',
  ]);
  return textTable(['ID', 'SECRET', 'SEV', 'STATE', 'LEAD', 'OPENED', 'ACKNOWLEDGED', 'EMERGENCY ROTATION', 'POSTMORTEM'], rows);
}

/** Where the emergency rotation stands, in one line. */
export function rotationProgress(record: RotationRecord | null): string {
  if (!record) return 'never started (retry it from the status message in Slack)';
  const { rotation } = record;
  const step = currentStep(record);
  if (rotation.state === 'in_progress' && step)
    return `#${rotation.id} in progress, step ${step.position + 1} of ${record.steps.length}: ${step.title}`;
  if (rotation.state === 'completed') return `#${rotation.id} completed at ${rotation.completedAt ?? '-'} by ${rotation.heldBy}`;
  return `#${rotation.id} ${stateLabel(rotation.state)}${rotation.endedAt ? ` at ${rotation.endedAt} by ${rotation.endedBy ?? '-'}: ${rotation.endReason ?? '-'}` : ''} (${settledSteps(record)} of ${record.steps.length} steps settled)`;
}

/** `rotor incidents show`: one incident in full, as text. */
export function renderIncidentDetail(record: IncidentRecord, rotation: RotationRecord | null): string {
  const { incident, pages, events } = record;
  const field = (label: string, value: string) => `${label.padEnd(20)}${value}`;
  const lines = [`Incident #${incident.id} of ${incident.secretName}: ${incident.severity}, ${incident.state}`, ''];
  lines.push(field('reason', incident.reason));
  lines.push(field('ticket', incident.ticket ?? '-'));
  lines.push(field('channel', incident.channel));
  lines.push(field('lead', `${incident.responder} (revoked it)`));
  lines.push(field('order', `${orderLabel(incident.revocationOrder)}${incident.destroy ? ', destroy' : ''}`));
  lines.push(
    field(
      'compromised version',
      incident.compromisedVersionId
        ? `${incident.compromisedVersionId}${incident.compromisedFingerprint ? `  fingerprint ${shortFingerprint(incident.compromisedFingerprint)}` : ''}`
        : '-',
    ),
  );
  lines.push(field('opened', incident.openedAt));
  lines.push(
    field(
      'acknowledged',
      incident.acknowledgedAt
        ? `${incident.acknowledgedAt} by ${incident.acknowledgedBy ?? '-'} (after ${elapsed(incident.openedAt, incident.acknowledgedAt)})`
        : 'not yet',
    ),
  );
  lines.push(field('emergency rotation', rotationProgress(rotation)));
  lines.push(field('signed off', incident.signedOffAt ? `${incident.signedOffAt} by ${incident.signedOffBy ?? '-'}` : 'not yet'));
  if (incident.state === 'closed')
    lines.push(
      field('closed', `${incident.closedAt ?? '-'} by ${incident.closedBy ?? '-'}`),
      field('postmortem', incident.postmortemUrl ?? '-'),
    );
  else {
    const closable = rotation !== null && !isOpen(rotation.rotation.state);
    lines.push(
      field(
        'closed',
        closable
          ? `no: close it with \`rotor incidents close ${incident.id} --postmortem URL\``
          : 'no: it closes once the emergency rotation is completed or abandoned',
      ),
    );
  }
  lines.push('', 'pages');
  if (pages.length === 0) lines.push('  (nobody paged)');
  for (const page of pages)
    lines.push(
      `  ${page.userId.padEnd(12)} ${page.level.replace('_', ' ').padEnd(13)} paged ${page.pagedAt}${page.acknowledgedAt ? `, acknowledged ${page.acknowledgedAt}` : ''}`,
    );
  lines.push('', 'timeline');
  for (const event of events) lines.push(`  ${event.at}  ${event.actor.padEnd(12)} ${event.summary}`);
  return lines.join('\n');
}
