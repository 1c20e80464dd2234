import type { Command } from 'commander';
import { RotorError } from '../core/errors.js';
import type { OwedReminder } from '../reminders/reminder.js';
import type { CliContext } from './cli-context.js';

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
    .option('--at <date>', 'rehearse at this date (start of the UTC day) or ISO instant instead of now')
    .option('--json', 'print JSON')
    .action((options: { at?: string; json?: boolean }) => {
      const runtime = context.runtime(options.at);
      const now = runtime.services.clock.now();
      const rows = runtime.reminders.sweep.preview(now).map(previewRow);
      if (options.json) {
        context.printJson(rows);
        return;
      }
      if (rows.length === 0) {
        context.print(`No reminders owed at ${now.toUTC().toISO()}.`);
        return;
      }
      for (const row of rows) {
        context.print(`${row.deliverAt}  ${row.recipient.padEnd(12)} ${row.level.padEnd(12)} ${row.kind.padEnd(11)} ${row.secret} (due ${row.cycle})`);
      }
      context.print(`${rows.length} reminder${rows.length === 1 ? '' : 's'} owed. Time zones come from Rotor's cache of Slack profiles (UTC when unknown).`);
    });

  reminders
    .command('run')
    .description('run one real reminder sweep now (needs SLACK_BOT_TOKEN; SLACK_API_URL optional)')
    .option('--at <date>', 'sweep as if it were this date (start of the UTC day) or ISO instant')
    .action(async (options: { at?: string }) => {
      const token = context.io.env.SLACK_BOT_TOKEN?.trim();
      if (!token || !token.startsWith('xoxb-')) {
        throw new RotorError('config', 'rotor reminders run needs SLACK_BOT_TOKEN (the Bot User OAuth Token, starting with xoxb-).');
      }
      const report = await context.runtime(options.at).reminders.sweep.sweep();
      context.print(
        `Sent ${report.sent} reminder${report.sent === 1 ? '' : 's'} in ${report.messages} message${report.messages === 1 ? '' : 's'}` +
          ` (${report.fallbacks} via the announcement channel; ${report.reconciled} reconciled, ${report.released} retried after an interrupted sweep).`,
      );
      for (const failure of report.failures) context.print(`Not sent: ${failure.key} to ${failure.recipient}: ${failure.error}`);
      if (report.failures.length > 0) throw new RotorError('slack', `${report.failures.length} reminder(s) could not be sent; the next sweep retries them.`);
    });
}
