import type { AuditCheckpoint } from '../../audit/audit-checkpoint.js';
import type { SlackMessage } from './slack-message.js';

/**
 * The daily checkpoint in the announcement channel: a copy of the audit head outside the
 * database, with the command that checks the database against it. Every value is Rotor's own
 * (numbers, hex, an ISO time), so nothing here needs escaping.
 */
export function auditCheckpointMessage(checkpoint: AuditCheckpoint): SlackMessage {
  const signature = checkpoint.mac ? `signed ${checkpoint.scheme}: \`${checkpoint.mac}\`` : 'unsigned (ROTOR_AUDIT_KEY is not set)';
  const text =
    `:lock: Audit checkpoint at ${checkpoint.at}: event #${checkpoint.seq}, hash \`${checkpoint.hash}\`, ${signature}.\n` +
    `To check the database against it: \`rotor audit verify --expect-head ${checkpoint.seq}:${checkpoint.hash}\``;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
