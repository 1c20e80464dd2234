import type { WeeklyDigest } from '../../reminders/reminder.js';
import { escapeMrkdwn } from './mrkdwn.js';
import type { SlackMessage } from './slack-message.js';

const LIST_LIMIT = 20;

/** The weekly digest for the announcement channel. */
export function weeklyDigestMessage(digest: WeeklyDigest): SlackMessage {
  const kinds = Object.entries(digest.remindedByKind)
    .map(([kind, count]) => `${count} × ${kind}`)
    .join(', ');
  const lines = [
    `*Secrets rotation — weekly digest ${digest.week}* (${digest.since} to ${digest.until})`,
    `*Reminded:* ${kinds || 'nothing'}`,
  ];
  if (digest.compromised.length > 0) {
    lines.push(`*Compromised, not yet rotated:* ${digest.compromised.length}`);
    for (const secret of digest.compromised.slice(0, LIST_LIMIT)) {
      lines.push(`• ${escapeMrkdwn(secret.name)} — marked ${secret.markedOn}, owner ${secret.owner ? `<@${secret.owner}>` : 'none'}`);
    }
    if (digest.compromised.length > LIST_LIMIT)
      lines.push(`…and ${digest.compromised.length - LIST_LIMIT} more (\`rotor list --status compromised\`)`);
  }
  lines.push(`*Overdue:* ${digest.overdue.length === 0 ? 'nothing :tada:' : digest.overdue.length}`);
  for (const secret of digest.overdue.slice(0, LIST_LIMIT)) {
    lines.push(
      `• ${escapeMrkdwn(secret.name)} — ${secret.daysOverdue} day${secret.daysOverdue === 1 ? '' : 's'} overdue, owner ${secret.owner ? `<@${secret.owner}>` : 'none'}`,
    );
  }
  if (digest.overdue.length > LIST_LIMIT) lines.push(`…and ${digest.overdue.length - LIST_LIMIT} more (\`/secrets overdue\`)`);
  if (digest.notActed.length > 0) {
    lines.push('*Reminded but not acted:*');
    for (const person of digest.notActed.slice(0, LIST_LIMIT))
      lines.push(`• <@${person.user}>: ${person.secrets.map(escapeMrkdwn).join(', ')}`);
  }
  const text = lines.join('\n');
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
