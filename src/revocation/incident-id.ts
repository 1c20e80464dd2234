import { ValidationError } from '../core/errors.js';

const INCIDENT_ID = /^#?(\d{1,12})$/;

/** `12` or `#12`: an incident's number, as its status message and `rotor incidents list` show it. */
export function parseIncidentId(text: string): number {
  const id = INCIDENT_ID.exec(text.trim())?.[1];
  if (id === undefined || Number(id) < 1) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    throw new ValidationError(`\`${shown}\` is not an incident id.`, [
      { where: 'incident', message: 'give the incident number, e.g. 12 or #12 (`rotor incidents list` lists them)' },
    ]);
  }
  return Number(id);
}
