import type { Incident, IncidentEvent, Severity } from '../../../revocation/incident.js';
import { escapeMrkdwn, mention } from '../mrkdwn.js';
import { when } from '../rotation/rotation-text.js';

/** Short pieces of text every incident view shares. */

export const SEVERITY_LABELS: Record<Severity, string> = {
  SEV1: 'SEV1 — critical: actively abused, customers affected',
  SEV2: 'SEV2 — major: exposed publicly, no abuse seen yet',
  SEV3: 'SEV3 — minor: exposed to people who should not have it',
  SEV4: 'SEV4 — low: possible exposure, precautionary',
};

const EVENT_ICONS: Readonly<Record<string, string>> = {
  opened: ':rotating_light:',
  compromised: ':red_circle:',
  paged: ':pager:',
  escalated: ':arrow_double_up:',
  escalation_exhausted: ':warning:',
  acknowledged: ':eyes:',
  rotation_started: ':arrows_counterclockwise:',
  rotation_start_failed: ':x:',
  step_done: ':white_check_mark:',
  disabled: ':lock:',
  step_failed: ':x:',
  step_skipped: ':fast_forward:',
  rotation_taken_over: ':handshake:',
  rotation_completed: ':white_check_mark:',
  rotation_abandoned: ':no_entry_sign:',
  status_update: ':speech_balloon:',
  signed_off: ':ballot_box_with_check:',
  closed: ':checkered_flag:',
};

export function incidentTitle(incident: Incident): string {
  return `Incident #${incident.id} · ${incident.severity} · ${incident.secretName}`;
}

/**
 * An event's summary as mrkdwn: escaped, with the people it names (`details.people`, ids Rotor
 * recorded) turned into mentions. Ids inside text someone typed stay text unless they are listed.
 */
export function eventText(event: IncidentEvent): string {
  const people = Array.isArray(event.details.people) ? event.details.people.filter((id): id is string => typeof id === 'string') : [];
  let text = escapeMrkdwn(event.summary);
  for (const person of people) text = text.replace(new RegExp(`\\b${person}\\b`, 'g'), mention(person));
  return `${EVENT_ICONS[event.kind] ?? ':small_blue_diamond:'} ${text}`;
}

/** An event as a timeline line: its text and when. */
export function eventLine(event: IncidentEvent): string {
  return `${eventText(event)} _(${when(event.at)})_`;
}
