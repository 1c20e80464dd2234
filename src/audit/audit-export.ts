import { stringify } from 'csv-stringify/sync';
import { neutralizeCell } from '../core/spreadsheet-cells.js';
import type { AuditEvent } from './audit-event.js';

export const AUDIT_EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

const CSV_COLUMNS = ['seq', 'at', 'actor', 'action', 'secret', 'details', 'prev_hash', 'hash', 'scheme'];

/** Evidence for auditors: one line per event, hashes included so the chain can be re-checked; no CSV cell can run as a formula. */
export function* formatAuditEvents(events: Iterable<AuditEvent>, format: AuditExportFormat): Generator<string> {
  if (format === 'csv') yield stringify([CSV_COLUMNS]);
  for (const event of events) {
    if (format === 'jsonl') yield `${JSON.stringify(event)}\n`;
    else
      yield stringify([
        [
          event.seq,
          event.at,
          event.actor,
          event.action,
          event.secret ?? '',
          JSON.stringify(event.details),
          event.prevHash,
          event.hash,
          event.scheme,
        ].map((cell) => neutralizeCell(String(cell))),
      ]);
  }
}
