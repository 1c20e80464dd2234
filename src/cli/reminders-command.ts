import type { Command } from 'commander';
import { DeadlineExceededError } from '../core/deadline.js';
import { RotorError } from '../core/errors.js';
import type { OwedReminder } from '../reminders/reminder.js';
import type { SweepReport } from '../reminders/reminder-sweep-service.js';
import type { CliContext } from './cli-context.js';
import { wholeNumber } from './cli-options.js';

function previewRow(reminder: OwedReminder) {
  return {
    secret: reminder.secret.name,
    kind: reminder.key.kind,
    cycle: reminder.key.cycle,
    recipient: reminder.recipient,
    level: reminder.level,
    deliverAt: reminder.deliverAt,
    daysUntilDue: reminder.daysUntilDue,
    // Only when a rotation need set the date, so other rows read as they always did.
    ...(reminder.need ? { need: { reason: reminder.need.reason, dueAt: reminder.need.dueAt, snoozable: reminder.snoozable } } : {}),
  };
}

/** What a sweep at `--at` would send, as a dry run prints it. */
function printOwed(context: CliContext, at: string | undefined, json: boolean | undefined): void {
  const runtime = context.runtime(at);
  const now = runtime.services.clock.now();
  const rows = runtime.reminders.sweep.preview(now).map(previewRow);
  if (json) {
    context.printJson(rows);
    return;
  }
  if (rows.length === 0) {
    context.print(`No reminders owed at ${now.toUTC().toISO()} (dry run: nothing sent).`);
    return;
  }
  for (const row of rows) {
    const due = row.need ? `rotation needed (${row.need.reason}) by ${row.need.dueAt.slice(0, 10)}` : `due ${row.cycle}`;
    context.print(`${row.deliverAt}  ${row.recipient.padEnd(12)} ${row.level.padEnd(12)} ${row.kind.padEnd(11)} ${row.secret} (${due})`);
  }
  context.print(
    `${rows.length} reminder${rows.length === 1 ? '' : 's'} owed (dry run: nothing sent). Time zones come from Rotor's cache of Slack profiles (UTC when unknown).`,
  );
}

/** What one sweep did, and each reminder it did not send. */
function printSweep(context: CliContext, report: SweepReport, json: boolean | undefined): void {
  if (json) {
    context.printJson(report);
    return;
  }
  context.print(
    `Sent ${report.sent} reminder${report.sent === 1 ? '' : 's'} in ${report.messages} message${report.messages === 1 ? '' : 's'}` +
      ` (${report.fallbacks} via the announcement channel; ${report.reconciled} reconciled, ${report.released} retried after an interrupted sweep).`,
  );
  for (const failure of report.failures) context.print(`Not sent: ${failure.key} to ${failure.recipient}: ${failure.error}`);
}

/** `rotor reminders run [--dry-run] [--deadline SECONDS]`, and `preview`, its older spelling of the dry run. */
export function registerRemindersCommand(program: Command, context: CliContext): void {
  const reminders = program.command('reminders').description('reminder DMs: see what is owed, or send it now');

  reminders
    .command('run')
    .description(
      'run one real reminder sweep now (needs SLACK_BOT_TOKEN; SLACK_API_URL optional), or with --dry-run print what it would send',
    )
    .option('--dry-run', 'print what the sweep would send; send and record nothing (no Slack call, no token needed)')
    .option('--at <date>', 'sweep as if it were this date (start of the UTC day) or ISO instant')
    .option('--json', 'print JSON')
    .option(
      '--deadline <seconds>',
      'stop claiming reminders after this many seconds, report, and exit non-zero (default: $ROTOR_RUN_DEADLINE_SECONDS or 600)',
      wholeNumber(1),
    )
    .action(async (options: { dryRun?: boolean; at?: string; json?: boolean; deadline?: number }) => {
      if (options.dryRun) {
        printOwed(context, options.at, options.json);
        return;
      }
      const token = context.io.env.SLACK_BOT_TOKEN?.trim();
      if (!token || !token.startsWith('xoxb-')) {
        throw new RotorError(
          'config',
          'Sending reminders needs SLACK_BOT_TOKEN (the Bot User OAuth Token, starting with xoxb-); set it, or run `rotor reminders run --dry-run` to see what would be sent.',
        );
      }
      const sweep = context.runtime(options.at).reminders.sweep;
      let report: SweepReport;
      try {
        report = await sweep.sweep({ deadlineSeconds: options.deadline ?? context.env.ROTOR_RUN_DEADLINE_SECONDS });
      } catch (error) {
        if (error instanceof DeadlineExceededError) printSweep(context, error.partial as SweepReport, options.json);
        throw error;
      }
      printSweep(context, report, options.json);
      if (report.failures.length > 0)
        throw new RotorError('slack', `${report.failures.length} reminder(s) could not be sent; the next sweep retries them.`);
    });

  reminders
    .command('preview')
    .description('the same as `reminders run --dry-run` (the older spelling, kept for scripts)')
    .option('--at <date>', 'rehearse at this date (start of the UTC day) or ISO instant instead of now')
    .option('--json', 'print JSON')
    .action((options: { at?: string; json?: boolean }) => printOwed(context, options.at, options.json));
}
