import type { Command } from 'commander';
import { MAX_WINDOW_DAYS } from '../inventory/schedule.js';
import { SecretHistoryRepo } from '../inventory/secret-history-repo.js';
import { rotationCalendar } from '../reminders/rotation-calendar.js';
import type { CliContext } from './cli-context.js';
import { dayCount, memberIdOption } from './cli-options.js';

/** `rotor calendar [--days N] [--owner U] > rotations.ics` */
export function registerCalendarCommand(program: Command, context: CliContext): void {
  program
    .command('calendar')
    .description(
      'print an iCalendar (.ics) of overdue and upcoming rotations, with alarms 30 and 7 days before, and planned rotation windows as timed events',
    )
    .option('--days <n>', `rotations due within this many days (1 to ${MAX_WINDOW_DAYS}); overdue ones always`, dayCount, MAX_WINDOW_DAYS)
    .option('--owner <user>', 'only secrets this Slack member id (U0123ABCD) owns or backs up')
    .option('--at <date>', 'as of this date instead of now (YYYY-MM-DD or ISO time)')
    .action((options: { days: number; owner?: string; at?: string }) => {
      const owner = memberIdOption('--owner', options.owner);
      const services = context.open(options.at);
      const query = { days: options.days, ...(owner ? { owner } : {}) };
      context.io.stdout(
        rotationCalendar(
          { inventory: services.inventory, history: new SecretHistoryRepo(services.db), windows: services.windows },
          services.clock.now(),
          query,
        ),
      );
    });
}
