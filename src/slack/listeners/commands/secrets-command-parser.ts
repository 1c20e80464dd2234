import { MAX_WINDOW_DAYS } from '../../../inventory/schedule.js';
import { findNameProblem } from '../../../inventory/secret-name.js';

/**
 * What `/secrets …` asked for, parsed; listeners act on this, never on raw text. Messages here
 * are plain text that quotes what the person typed: the view layer escapes them for mrkdwn.
 */
export type SecretsRequest =
  | { kind: 'overdue' }
  | { kind: 'due'; days: number }
  | { kind: 'list'; environment?: string; owner?: string; service?: string }
  /** `problem`: why the text is not a whole secret name; it is then looked up as part of one. */
  | { kind: 'show'; name: string; problem?: string }
  | { kind: 'owner'; name: string; userId: string }
  | { kind: 'add' }
  | { kind: 'edit'; name: string }
  | { kind: 'review' }
  /** A use of a break-glass credential; `reason` is what the person typed after the name. */
  | { kind: 'used'; name: string; reason: string }
  | { kind: 'help' };

export type ParsedSecretsCommand = SecretsRequest | { kind: 'invalid'; message: string };

export const SUBCOMMANDS = ['overdue', 'due', 'list', 'show', 'owner', 'add', 'edit', 'review', 'help', 'used'] as const;

export const USAGE: Record<(typeof SUBCOMMANDS)[number], string> = {
  overdue: '`/secrets overdue` — every secret past its rotation date, most overdue first',
  due: '`/secrets due [N]d` — secrets due within N days (default 30), e.g. `/secrets due 14d`',
  list: '`/secrets list [env] [@owner|service]` — e.g. `/secrets list prod`, `/secrets list @sam`, `/secrets list staging redis`',
  show: '`/secrets show <name>` — everything Rotor knows about one secret',
  owner: '`/secrets owner <name> @person` — hand a secret to a new owner',
  add: '`/secrets add` — add a secret (opens a form)',
  edit: '`/secrets edit <name>` — edit a secret (opens a form)',
  review:
    '`/secrets review` — monthly review: no owner, no backup owner, never rotated, overdue, rotations needed, break-glass credentials used, replicas missing a required region',
  used: '`/secrets used <name> <reason>` — record that you used a break-glass credential and why: its rotation is then due within hours, and security is told',
  help: '`/secrets help` — this list',
};

/** Longer than any real command; Slack itself allows a few thousand characters. */
export const MAX_COMMAND_LENGTH = 500;

const code = (word: string) => '`' + word + '`';

const DEFAULT_DUE_DAYS = 30;
const MAX_DUE_DAYS = MAX_WINDOW_DAYS;
const USER_MENTION = /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/;
const SERVICE = /^[a-z0-9](?:[a-z0-9_.-]{0,62}[a-z0-9])?$/;

/** Why a word that looks like a mention is not a person, or null when it is not mention-like at all. */
function notAUser(word: string): string | null {
  if (/^<!(?:subteam\^[^>]*|here|channel|everyone)[^>]*>$/.test(word))
    return `${code(word)} is a group or broadcast, not a person: mention one user, like @sam.`;
  if (/^<#[CG][A-Z0-9]+(?:\|[^>]*)?>$/.test(word)) return `${code(word)} is a channel, not a person: mention one user, like @sam.`;
  if (word.startsWith('@') || word.startsWith('<@'))
    return `${code(word)} is not a Slack user: pick the person from Slack's @-autocomplete so it becomes a mention.`;
  return null;
}

function parseUser(word: string | undefined): { userId: string } | { problem: string } {
  if (!word) return { problem: 'Mention the new owner, like `/secrets owner prod/stripe/api_key @sam`.' };
  const match = USER_MENTION.exec(word);
  if (match) return { userId: match[1] as string };
  return { problem: notAUser(word) ?? `${code(word)} is not a Slack user: mention the person, like @sam.` };
}

/**
 * A secret name as typed, without the backticks or quotes people put around names they copy
 * from Rotor's own messages (which show names as `code`).
 */
export function unquoteName(word: string): string {
  return word.replace(/^[`'"‘’“”]+|[`'"‘’“”]+$/g, '');
}

function requireName(word: string | undefined, sub: string, environments: readonly string[]): { name: string } | { problem: string } {
  if (!word) return { problem: `Say which secret: ${USAGE[sub as keyof typeof USAGE]}.` };
  const name = unquoteName(word);
  const problem = findNameProblem(name, environments);
  return problem ? { problem } : { name };
}

export function helpText(): string {
  return ['*Rotor `/secrets` commands*', ...SUBCOMMANDS.map((sub) => `• ${USAGE[sub]}`)].join('\n');
}

export function parseSecretsCommand(text: string, environments: readonly string[]): ParsedSecretsCommand {
  if (text.length > MAX_COMMAND_LENGTH) {
    return {
      kind: 'invalid',
      message: `That command is ${text.length} characters long; \`/secrets\` commands are short. Type \`/secrets help\` for the list.`,
    };
  }
  const words = text
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  const [rawSub, ...args] = words;
  const sub = rawSub?.toLowerCase();
  const extra = (expected: number) =>
    args.length > expected
      ? { kind: 'invalid' as const, message: `Too many words after \`${sub}\`. Usage: ${USAGE[sub as keyof typeof USAGE]}.` }
      : null;

  switch (sub) {
    case undefined:
    case 'help':
      return { kind: 'help' };
    case 'overdue':
      return extra(0) ?? { kind: 'overdue' };
    case 'review':
      return extra(0) ?? { kind: 'review' };
    case 'add':
      return extra(0) ?? { kind: 'add' };
    case 'due': {
      // `due 7 days` says the same as `due 7d`.
      const dayWord = args.length === 2 && /^days?$/i.test(args[1] as string);
      const tooMany = dayWord ? null : extra(1);
      if (tooMany) return tooMany;
      if (args[0] === undefined) return { kind: 'due', days: DEFAULT_DUE_DAYS };
      const match = (dayWord ? /^(\d{1,4})$/ : /^(\d{1,4})d?$/i).exec(args[0]);
      const days = match ? Number(match[1]) : NaN;
      if (!match || days < 1 || days > MAX_DUE_DAYS) {
        return { kind: 'invalid', message: `${code(args[0])} is not a number of days between 1 and ${MAX_DUE_DAYS}. Usage: ${USAGE.due}.` };
      }
      return { kind: 'due', days };
    }
    case 'list': {
      const request: Extract<SecretsRequest, { kind: 'list' }> = { kind: 'list' };
      for (const word of args) {
        const mentionMatch = USER_MENTION.exec(word);
        const lower = word.toLowerCase();
        const once = (what: string) => ({ kind: 'invalid' as const, message: `Give at most one ${what}. Usage: ${USAGE.list}.` });
        if (mentionMatch) {
          if (request.owner) return once('@person');
          request.owner = mentionMatch[1] as string;
        } else if (notAUser(word)) return { kind: 'invalid', message: notAUser(word) as string };
        else if (environments.includes(lower)) {
          if (request.environment) return once('environment');
          request.environment = lower;
        } else if (SERVICE.test(lower)) {
          // Names are lower-case, so `Redis` means the `redis` service.
          if (request.service) return once('service');
          request.service = lower;
        } else
          return {
            kind: 'invalid',
            message: `${code(word)} is not an environment (${environments.join(', ')}), a @person or a service name. Usage: ${USAGE.list}.`,
          };
      }
      return request;
    }
    case 'show': {
      const tooMany = extra(1);
      if (tooMany) return tooMany;
      const name = requireName(args[0], sub, environments);
      // Not a whole name, but perhaps a part of one (`stripe`): the reply says what is wrong and suggests the names it is part of.
      if ('problem' in name)
        return args[0] ? { kind: 'show', name: unquoteName(args[0]), problem: name.problem } : { kind: 'invalid', message: name.problem };
      return { kind: 'show', name: name.name };
    }
    case 'edit': {
      const tooMany = extra(1);
      if (tooMany) return tooMany;
      const name = requireName(args[0], sub, environments);
      if ('problem' in name) return { kind: 'invalid', message: name.problem };
      return { kind: sub, name: name.name };
    }
    case 'used': {
      const name = requireName(args[0], sub, environments);
      if ('problem' in name) return { kind: 'invalid', message: name.problem };
      // The reason is everything after the name, as typed.
      const reason = /^\s*\S+\s+\S+\s*([\s\S]*)$/.exec(text)?.[1]?.trim() ?? '';
      if (reason === '')
        return { kind: 'invalid', message: `Say why you used it: the reason is recorded and shown to security. Usage: ${USAGE.used}.` };
      return { kind: 'used', name: name.name, reason };
    }
    case 'owner': {
      const tooMany = extra(2);
      if (tooMany) return tooMany;
      const name = requireName(args[0], sub, environments);
      if ('problem' in name) return { kind: 'invalid', message: name.problem };
      const user = parseUser(args[1]);
      if ('problem' in user) return { kind: 'invalid', message: user.problem };
      return { kind: 'owner', name: name.name, userId: user.userId };
    }
    default:
      return {
        kind: 'invalid',
        message: `${code(rawSub ?? '')} is not a \`/secrets\` subcommand. Use one of: ${SUBCOMMANDS.join(', ')}.\n${helpText()}`,
      };
  }
}
