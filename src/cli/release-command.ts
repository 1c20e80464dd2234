import { InvalidArgumentError, type Command } from 'commander';
import { MAX_WINDOW_DAYS } from '../inventory/schedule.js';
import { DEFAULT_RELEASE_WINDOW_DAYS, type ReleaseCheck, type ReleaseItem, type ReleaseOpened } from '../rotation-needs/release-check.js';
import type { CliContext } from './cli-context.js';
import { OVERDUE_EXIT_CODE } from './inventory-commands.js';

/** `--within 14d` (or `14`): days from 0 to MAX_WINDOW_DAYS. */
function windowDays(value: string): number {
  const match = /^(\d{1,3})d?$/i.exec(value.trim());
  const days = match ? Number(match[1]) : NaN;
  if (!match || days > MAX_WINDOW_DAYS)
    throw new InvalidArgumentError(`expected a number of days from 0 to ${MAX_WINDOW_DAYS}, such as 14d, got "${value}".`);
  return days;
}

function itemJson(item: ReleaseItem) {
  return {
    name: item.secret.name,
    owner: item.secret.owner,
    status: item.secret.lifecycle === 'compromised' ? 'compromised' : item.overdue ? 'overdue' : 'due_soon',
    due_date: item.dueDay,
    days_until_due: item.daysUntilDue,
    next_rotation: item.secret.nextRotation,
    rotation_needs: item.needs.map((need) => ({ reason: need.reason, due_at: need.dueAt, person: need.person, detail: need.detail })),
  };
}

function itemLine(item: ReleaseItem): string {
  const when =
    item.secret.lifecycle === 'compromised'
      ? 'compromised'
      : item.daysUntilDue < 0
        ? `overdue by ${-item.daysUntilDue}d`
        : item.daysUntilDue === 0
          ? 'due today'
          : `due in ${item.daysUntilDue}d`;
  const need = item.needs[0] ? `  rotation needed: ${item.needs[0].reason}` : '';
  return `  ${item.secret.name.padEnd(40)} ${when.padEnd(16)} ${item.dueDay}  owner ${item.secret.owner ?? '-'}${need}`;
}

function report(check: ReleaseCheck, opened: ReleaseOpened | null): string {
  const lines = [`Release check of ${check.environment} at ${check.at}, window ${check.withinDays} days:`];
  lines.push(check.overdue.length > 0 ? `Overdue (${check.overdue.length}): rotate before releasing` : 'Overdue: none');
  lines.push(...check.overdue.map(itemLine));
  lines.push(
    check.dueSoon.length > 0
      ? `Due within ${check.withinDays} days (${check.dueSoon.length})`
      : `Due within ${check.withinDays} days: none`,
  );
  lines.push(...check.dueSoon.map(itemLine));
  if (opened) {
    lines.push(
      `Marked ${opened.opened.length} secret${opened.opened.length === 1 ? '' : 's'} rotation needed (release); the bot tells ${opened.owners.length} owner${opened.owners.length === 1 ? '' : 's'} by DM, once each.` +
        (opened.unowned.length > 0 ? ` No owner to tell for: ${opened.unowned.join(', ')}.` : ''),
      'The rotations are started by their owners (Start rotation in the DM, or /rotate); Rotor does not start them on its own yet.',
    );
  }
  lines.push(check.overdue.length > 0 ? `FAIL: ${check.overdue.length} overdue (exit code ${OVERDUE_EXIT_CODE}).` : 'OK: nothing overdue.');
  return lines.join('\n');
}

export function registerReleaseCommand(program: Command, context: CliContext): void {
  const release = program.command('release').description('Checks for a CI/CD pipeline before a release');
  release
    .command('check')
    .description(
      `List an environment's secrets overdue or due within a window (rotation needs included); exit ${OVERDUE_EXIT_CODE} when any is overdue`,
    )
    .requiredOption('--env <environment>', 'the environment being released, e.g. prod')
    .option('--within <days>', `the window, in days (14d or 14, up to ${MAX_WINDOW_DAYS})`, windowDays, DEFAULT_RELEASE_WINDOW_DAYS)
    .option('--open', 'mark their rotation needed with reason release (due by the end of the window) and tell each owner once by DM')
    .option('--at <date>', 'as of this date instead of now (YYYY-MM-DD or ISO time)')
    .option('--json', 'print JSON')
    .action((options: { env: string; within: number; open?: boolean; at?: string; json?: boolean }) => {
      const runtime = context.runtime(options.at);
      const check = runtime.releases.check(options.env, options.within);
      const opened = options.open ? runtime.releases.open(check, context.actor) : null;
      if (options.json) {
        context.printJson({
          environment: check.environment,
          at: check.at,
          within_days: check.withinDays,
          overdue: check.overdue.map(itemJson),
          due_soon: check.dueSoon.map(itemJson),
          ...(opened
            ? {
                opened: {
                  secrets: opened.opened.map((need) => need.secretName),
                  owners_told: opened.owners,
                  unowned: opened.unowned,
                  rotations_started: false,
                },
              }
            : {}),
          exit_code: check.overdue.length > 0 ? OVERDUE_EXIT_CODE : 0,
        });
      } else context.print(report(check, opened));
      if (check.overdue.length > 0) context.exitCode = OVERDUE_EXIT_CODE;
    });
}
