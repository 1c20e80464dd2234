import type { Command } from 'commander';
import { ValidationError } from '../core/errors.js';
import { SLACK_USER_ID } from '../inventory/secret.js';
import { buildRotationCalendar, upcomingRotations } from '../reminders/rotation-calendar.js';
import type { CliContext } from './cli-context.js';

/** `rotor calendar [--days N] [--owner U] > rotations.ics` */
export function registerCalendarCommand(program: Command, context: CliContext): void {
  program
    .command('calendar')
    .description('print an iCalendar (.ics) of upcoming rotations, with alarms 30 and 7 days before')
    .option('--days <n>', 'rotations due within this many days', '365')
    .option('--owner <user>', 'only secrets this Slack user id owns or backs up')
    .action((options: { days: string; owner?: string }) => {
      const days = Number(options.days);
      if (!Number.isInteger(days) || days < 1 || days > 3650) {
        throw new ValidationError(`--days ${options.days} is not a number of days.`, [{ where: '--days', message: 'use a whole number from 1 to 3650, e.g. --days 90' }]);
      }
      if (options.owner !== undefined && !SLACK_USER_ID.test(options.owner)) {
        throw new ValidationError(`--owner ${options.owner} is not a Slack user id.`, [{ where: '--owner', message: 'use a Slack user id such as U0123ABCD' }]);
      }
      const services = context.open();
      const secrets = upcomingRotations(services.inventory, services.clock.now(), { days, ...(options.owner ? { owner: options.owner } : {}) });
      context.io.stdout(buildRotationCalendar(secrets));
    });
}
