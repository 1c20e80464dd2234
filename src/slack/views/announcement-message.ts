import { renderSyncReport } from '../../providers/sync-report.js';
import type { Announcement } from '../../scheduler/announcer.js';
import { auditCheckpointMessage } from './audit-checkpoint-message.js';
import { code, escapeMrkdwn } from './mrkdwn.js';
import type { SlackMessage } from './slack-message.js';

const AFTER_FAILURE: Record<Extract<Announcement, { kind: 'job_failed' }>['job'], string> = {
  'reminder-sweep': "Reminders not sent will go out at the next sweep; if this repeats, check Rotor's logs.",
  'follow-up-sweep':
    "Follow-ups not done (approval re-sends, removals of previous versions, incident pages) are retried at the next sweep; if this repeats, check Rotor's logs.",
  'provider-sync':
    "Secrets not checked are checked at the next sync (or run `rotor sync`); if this repeats, check Rotor's logs and the stores.",
};

const FAILED_JOB: Record<Extract<Announcement, { kind: 'job_failed' }>['job'], string> = {
  'reminder-sweep': 'The reminder sweep',
  'follow-up-sweep': 'The follow-up sweep',
  'provider-sync': 'The provider sync',
};

/** A scheduled job's announcement. Quoted reasons (Slack, SQLite or a provider) never become markup. */
export function announcementMessage(announcement: Announcement): SlackMessage {
  let text: string;
  switch (announcement.kind) {
    case 'job_failed':
      text = `:warning: ${FAILED_JOB[announcement.job]} failed at ${announcement.at}: ${escapeMrkdwn(announcement.reason)}. ${AFTER_FAILURE[announcement.job]}`;
      break;
    case 'follow_up_failed': {
      const { followUp } = announcement;
      text = `:warning: Rotor gave up on a follow-up after ${followUp.attempts} attempts: ${code(followUp.kind)} for ${code(followUp.topic)} (${escapeMrkdwn(announcement.error)}). Do it by hand; \`rotor audit export\` has the details.`;
      break;
    }
    case 'audit_checkpoint':
      return auditCheckpointMessage(announcement.checkpoint);
    case 'sync_attention': {
      const { report } = announcement;
      const attention = report.unresolved.length + report.drift.length + report.failures.length;
      text = `:mag: Provider sync: ${attention} secret${attention === 1 ? ' needs' : 's need'} attention.\n\`\`\`${escapeMrkdwn(renderSyncReport(report).join('\n'))}\`\`\``;
      break;
    }
  }
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
