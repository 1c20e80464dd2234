import { Option, type Command } from 'commander';
import { ValidationError } from '../core/errors.js';
import { STATUSES, VALUE_SOURCES, type Secret, type SecretStatus } from '../inventory/secret.js';
import { dueSoonDays, summarizeSecret, type SecretSummary } from '../inventory/secret-summary.js';
import type { Services } from '../services.js';
import { describeTargetSetting } from '../targets/target-parsing.js';
import type { CliContext } from './cli-context.js';
import { dayCount, environmentOption, memberIdOption } from './cli-options.js';

/** Each secret as people and scripts read it, with its open rotation needs. */
export function summaries(services: Services, secrets: readonly Secret[]): SecretSummary[] {
  const needs = services.rotationNeeds.openFor(secrets.map((secret) => secret.id));
  const today = services.clock.now();
  return secrets.map((secret) => summarizeSecret(secret, today, services.policy, needs.get(secret.id) ?? []));
}

/** A rotation need as one cell: why, and by when. */
export function needCell(summary: SecretSummary): string {
  const need = summary.rotation_needs[0];
  return need ? `${need.reason}${need.person ? ` (${need.person})` : ''} by ${need.due_at.slice(0, 10)}` : '';
}

/** The table; a ROTATION NEEDED column only when a row has a need, so other lists read as they always did. */
function table(services: Services, secrets: Secret[]): string {
  if (secrets.length === 0) return 'No secrets.';
  const listed = summaries(services, secrets);
  const withNeeds = listed.some((summary) => summary.rotation_needs.length > 0);
  const rows = listed.map((summary) => {
    const due = summary.never_rotated ? `${summary.next_rotation} (never rotated)` : summary.next_rotation;
    return [summary.name, summary.status, summary.owner ?? '-', due, ...(withNeeds ? [needCell(summary)] : [])];
  });
  const header = ['NAME', 'STATUS', 'OWNER', 'NEXT ROTATION', ...(withNeeds ? ['ROTATION NEEDED'] : [])];
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => (row[index] as string).length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, index) => cell.padEnd(widths[index] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function output(context: CliContext, services: Services, secrets: Secret[], json: boolean | undefined): void {
  if (json) context.printJson(summaries(services, secrets));
  else context.print(table(services, secrets));
}

/** The exit code of `rotor overdue --fail-if-any` and `rotor release check` when a secret is overdue. */
export const OVERDUE_EXIT_CODE = 3;

export function registerInventoryCommands(program: Command, context: CliContext): void {
  program
    .command('list')
    .description('List secrets, optionally filtered')
    .option('--env <environment>', 'only this environment')
    .option('--owner <user>', 'only secrets this Slack member id (U0123ABCD) owns or backs up')
    .option('--service <service>', 'only this service')
    .option('--team <team>', 'only this team')
    .addOption(new Option('--status <status>', 'only this status').choices([...STATUSES]))
    .option('--all', 'include retired secrets')
    .option('--json', 'print JSON')
    .action(
      (options: {
        env?: string;
        owner?: string;
        service?: string;
        team?: string;
        status?: SecretStatus;
        all?: boolean;
        json?: boolean;
      }) => {
        const owner = memberIdOption('--owner', options.owner);
        const services = context.open();
        const environment = environmentOption(options.env, services.policy);
        const secrets = services.inventory.list(
          { environment, owner, service: options.service, team: options.team, status: options.status, includeRetired: options.all },
          services.clock.now(),
          dueSoonDays(services.policy),
        );
        output(context, services, secrets, options.json);
      },
    );

  program
    .command('show')
    .description('Show one secret')
    .argument('<name>', 'secret name, e.g. prod/postgres/connection_string')
    .option('--json', 'print JSON')
    .action((name: string, options: { json?: boolean }) => {
      const services = context.open();
      const [summary] = summaries(services, [services.inventoryService.require(name)]) as [SecretSummary];
      if (options.json) context.printJson(summary);
      else
        context.print(
          Object.entries(summary)
            .map(
              ([key, value]) =>
                `${key.padEnd(24)} ${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value ?? '-')}`,
            )
            .join('\n'),
        );
    });

  program
    .command('overdue')
    .description('Secrets due today or earlier (by their own date or a rotation needed sooner), most overdue first')
    .option('--at <date>', 'as of this date instead of now (YYYY-MM-DD or ISO time)')
    .option('--fail-if-any', `exit with code ${OVERDUE_EXIT_CODE} when any secret is overdue (a CI reminder job)`)
    .option('--json', 'print JSON')
    .action((options: { at?: string; failIfAny?: boolean; json?: boolean }) => {
      const services = context.open(options.at);
      const overdue = services.inventory.overdue(services.clock.now());
      output(context, services, overdue, options.json);
      if (options.failIfAny && overdue.length > 0) context.exitCode = OVERDUE_EXIT_CODE;
    });

  program
    .command('due')
    .description('Secrets coming due within N days (not yet overdue), soonest first')
    .option('--days <n>', 'window in days (1 to 365)', dayCount, 30)
    .option('--at <date>', 'as of this date instead of now (YYYY-MM-DD or ISO time)')
    .option('--json', 'print JSON')
    .action((options: { days: number; at?: string; json?: boolean }) => {
      const services = context.open(options.at);
      output(context, services, services.inventory.dueWithin(options.days, services.clock.now()), options.json);
    });

  program
    .command('used')
    .description(
      "Record a use of a break-glass credential: its rotation is then due within the policy's rotation_triggers.break_glass_hours, and security is told",
    )
    .argument('<name>', 'secret name, e.g. prod/vault/root_token')
    .requiredOption('--reason <text>', 'why it was used (recorded and shown to security; never the value)')
    .option('--by <user>', 'the Slack member id (U0123ABCD) of who used it; default: the operator running the command')
    .option('--json', 'print JSON')
    .action((name: string, options: { reason: string; by?: string; json?: boolean }) => {
      const by = memberIdOption('--by', options.by);
      const runtime = context.runtime();
      const use = runtime.breakGlass.recordUse(name, options.reason, context.actor, by);
      if (options.json)
        context.printJson({
          secret: use.secret.name,
          reason: use.need.reason,
          due_at: use.need.dueAt,
          used_by: use.need.person,
          why: use.need.detail,
        });
      else
        context.print(
          `Recorded a use of ${use.secret.name} by ${use.need.person}. It must be rotated by ${use.need.dueAt}; security and its owner are told by the bot.`,
        );
    });

  program
    .command('edit')
    .description('Change who may read a secret, whether it is a break-glass credential, and how its rotations make the new value')
    .argument('<name>', 'secret name, e.g. prod/postgres/password')
    .option(
      '--access <ids>',
      "who may read the value beside the owners: Slack member ids (U0123ABCD) and user group ids (S0123ABCD), separated by commas or spaces; replaces the list ('' empties it)",
    )
    .option(
      '--break-glass',
      "mark it a break-glass credential: each use is recorded (`rotor used`) and needs a rotation within the policy's rotation_triggers.break_glass_hours",
    )
    .option('--no-break-glass', 'no longer a break-glass credential')
    .addOption(
      new Option(
        '--value-source <source>',
        "generate (Rotor creates a random value at the store), issuer (a person writes the issuer's value), or default (the rotor:value_source tag, else the type's default)",
      ).choices([...VALUE_SOURCES, 'default']),
    )
    .option(
      '--value-field <field>',
      "the field of a JSON (AWS) or Vault secret that a generated value replaces, every other field kept; default: the policy's value_fields, else password",
    )
    .option(
      '--target <json>',
      'where Rotor sets the credential, as JSON: {"engine":"postgres","host":…,"port":5432,"dbname":…,"tls":"require","roles":["app_a","app_b"] or "role":…,"managing_ref":…} or {"engine":"redis","host":…,"user":…,"managing_ref":…}; off removes it (docs/targets.md)',
    )
    .option('--json', 'print the secret as JSON')
    .action(
      (
        name: string,
        options: { access?: string; breakGlass?: boolean; valueSource?: string; valueField?: string; target?: string; json?: boolean },
      ) => {
        const changes = {
          ...(options.access !== undefined ? { access: options.access } : {}),
          ...(options.breakGlass !== undefined ? { breakGlass: options.breakGlass } : {}),
          ...(options.valueSource !== undefined ? { valueSource: options.valueSource } : {}),
          ...(options.valueField !== undefined ? { valueField: options.valueField } : {}),
          ...(options.target !== undefined ? { target: options.target } : {}),
        };
        if (Object.keys(changes).length === 0) {
          throw new ValidationError(
            'Nothing to change: give --value-source, --value-field or both, or --access, --break-glass, --no-break-glass or --target.',
            [{ where: 'options', message: 'give --access, --break-glass, --no-break-glass, --value-source, --value-field or --target' }],
          );
        }
        const services = context.open();
        const secret = services.inventoryService.update(name, changes, context.actor, 'cli:edit');
        const summary = summarizeSecret(secret, services.clock.now(), services.policy);
        if (options.json) context.printJson(summary);
        else {
          const said = [
            ...(options.access !== undefined ? [`access ${secret.access.length > 0 ? secret.access.join(', ') : 'its owners only'}`] : []),
            ...(options.breakGlass !== undefined ? [secret.breakGlass ? 'a break-glass credential' : 'not a break-glass credential'] : []),
            ...(options.valueSource !== undefined || options.valueField !== undefined
              ? [`value source ${secret.valueSource ?? 'default'}, value field ${secret.valueField ?? 'default'}`]
              : []),
            ...(options.target !== undefined ? [secret.target ? `target ${describeTargetSetting(secret.target)}` : 'no target'] : []),
          ];
          context.print(`Saved ${secret.name}: ${said.join('; ')}.`);
        }
      },
    );
}
