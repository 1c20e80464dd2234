import { RotorError } from '../core/errors.js';
import type { IncidentRecord } from './incident.js';

/** `/revoke` on a secret already under an open incident: that incident is shown instead. */
export class IncidentOpenError extends RotorError {
  constructor(readonly record: IncidentRecord) {
    super(
      'conflict',
      `${record.incident.secretName} is already under incident #${record.incident.id} (${record.incident.severity}, led by ${record.incident.responder}, opened ${record.incident.openedAt}).`,
    );
    this.name = 'IncidentOpenError';
  }
}
