import { dueDayOf, reasonWords, type RotationNeed } from '../../rotation-needs/rotation-need.js';
import { escapeMrkdwn, escapeWithin, mention } from './mrkdwn.js';

/** What raised a rotation need, as mrkdwn: the person as a mention, Rotor's words and a person's reason escaped. */
export function needCause(need: Pick<RotationNeed, 'reason' | 'person' | 'detail'>): string {
  switch (need.reason) {
    case 'personnel_change':
      return `${mention(need.person)} ${escapeMrkdwn(need.detail ?? 'left or changed role')}`;
    case 'break_glass_use':
      return `used by ${mention(need.person)}${need.detail ? `: “${escapeWithin(need.detail, 300)}”` : ''}`;
    case 'release':
      return escapeMrkdwn(need.detail ?? 'a coming release');
  }
}

/** "Rotation needed (personnel change) by 2026-…: @sam left Slack", for rows and reminders. */
export function needLine(need: Pick<RotationNeed, 'reason' | 'person' | 'detail' | 'dueAt'>): string {
  return `Rotation needed (${reasonWords(need.reason)}) by ${dueDayOf(need)}: ${needCause(need)}`;
}
