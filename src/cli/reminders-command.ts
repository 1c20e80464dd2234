import type { Command } from 'commander';
import { RotorError } from '../core/errors.js';
import { createReminderClients, SlackReminderNotifier } from '../reminders/adapters/slack-reminder-notifier.js';
import { countSentReminders } from '../reminders/adapters/reminder-metrics.js';
import { createReminderSweep } from '../reminders/create-reminder-sweep.js';
import type { ReminderNotifier } from '../reminders/reminder-notifier.js';
import type { OwedReminder } from '../reminders/reminder.js';
import { clockAt, type CliContext } from './cli-context.js';

/** Preview never talks to Slack; this stands in for the notifier it does not use. */
const offlineNotifier: ReminderNotifier = {
  lookupPerson: () => Promise.reject(new RotorError('internal', 'preview does not call Slack')),
  sendDirect: () => Promise.reject(new RotorError('internal', 'preview does not call Slack')),
  sendInChannel: () => Promise.reject(new RotorError('internal', 'preview does not call Slack')),
  findDelivered: () => Promise.reject(new RotorError('internal', 'preview does not call Slack')),
  announce: () => Promise.reject(new RotorError('internal', 'preview does not call Slack')),
};

function previewRow(reminder: OwedReminder) {
  return {
    secret: reminder.secret.name,
    kind: reminder.key.kind,
    cycle: reminder.key.cycle,
    recipient: reminder.recipient,
    level: reminder.level,
    deliverAt: reminder.deliverAt,
    daysUntilDue: reminder.daysUntilDue,
  };
}

/** `rotor reminders preview|run`. */
export function registerRemindersCommand(program: Command, context: CliContext): void {
  const reminders = program.command('reminders').description('reminder DMs: see what is owed, or send it now');

  reminders
    .command('preview')
    .description('print what the reminder sweep would send at that instant; sends and records nothing')
    .option('--at <date>', 'rehearse at this date (noon UTC) or ISO instant instead of now')
    .option('--json', 'print JSON')
    .action((options: { at?: string; json?: boolean }) => {
      const clock = clockAt(options.at);
      const services = context.open(clock);
      try {
        const rows = createReminderSweep(services, offlineNotifier).preview(clock.now()).map(previewRow);
        if (options.json) {
          context.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          context.write(`No reminders owed at ${clock.now().toUTC().toISO()}.\n`);
          return;
        }
        for (const row of rows) {
          context.write(`${row.deliverAt}  ${row.recipient.padEnd(12)} ${row.level.padEnd(12)} ${row.kind.padEnd(11)} ${row.secret} (due ${row.cycle})\n`);
        }
        context.write(`${rows.length} reminder${rows.length === 1 ? '' : 's'} owed. Time zones come from Rotor's cache of Slack profiles (UTC when unknown).\n`);
      } finally {
        services.close();
      }
    });

  reminders
    .command('run')
    .description('run one real reminder sweep now (needs SLACK_BOT_TOKEN; SLACK_API_URL optional)')
    .option('--at <date>', 'sweep as if it were this date (noon UTC) or ISO instant')
    .action(async (options: { at?: string }) => {
      const token = context.env.SLACK_BOT_TOKEN?.trim();
      if (!token || !token.startsWith('xoxb-')) {
        throw new RotorError('config', 'rotor reminders run needs SLACK_BOT_TOKEN (the Bot User OAuth Token, starting with xoxb-).');
      }
      const clock = clockAt(options.at);
      const services = context.open(clock);
      try {
        const notifier = new SlackReminderNotifier(createReminderClients(token, context.env.SLACK_API_URL?.trim() || undefined));
        const report = await createReminderSweep(services, notifier, { onSent: countSentReminders }).sweep();
        context.write(
          `Sent ${report.sent} reminder${report.sent === 1 ? '' : 's'} in ${report.messages} message${report.messages === 1 ? '' : 's'}` +
            ` (${report.fallbacks} via the announcement channel; ${report.reconciled} reconciled, ${report.released} retried after an interrupted sweep).\n`,
        );
        for (const failure of report.failures) context.write(`Not sent: ${failure.key} to ${failure.recipient}: ${failure.error}\n`);
        if (report.failures.length > 0) throw new RotorError('slack', `${report.failures.length} reminder(s) could not be sent; the next sweep retries them.`);
      } finally {
        services.close();
      }
    });
}
