import { describe, expect, it } from 'vitest';
import { parseSecretsCommand } from '../../../src/slack/listeners/commands/secrets-command-parser.js';

const environments = ['prod', 'staging', 'dev'];
const parse = (text: string) => parseSecretsCommand(text, environments);

describe('parseSecretsCommand', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['  OVERDUE ', { kind: 'overdue' }],
    ['due', { kind: 'due', days: 30 }],
    ['due 14d', { kind: 'due', days: 14 }],
    ['due 7', { kind: 'due', days: 7 }],
    ['list', { kind: 'list' }],
    ['list prod', { kind: 'list', environment: 'prod' }],
    ['list staging redis', { kind: 'list', environment: 'staging', service: 'redis' }],
    ['due 7 days', { kind: 'due', days: 7 }],
    ['due 1 day', { kind: 'due', days: 1 }],
    ['list Staging Redis', { kind: 'list', environment: 'staging', service: 'redis' }],
    ['show `prod/stripe/api_key`', { kind: 'show', name: 'prod/stripe/api_key' }],
    ['list <@U0123ABC|sam> prod', { kind: 'list', environment: 'prod', owner: 'U0123ABC' }],
    ['show prod/stripe/api_key', { kind: 'show', name: 'prod/stripe/api_key' }],
    ['edit prod/stripe/api_key', { kind: 'edit', name: 'prod/stripe/api_key' }],
    ['owner prod/stripe/api_key <@U0123ABC|sam>', { kind: 'owner', name: 'prod/stripe/api_key', userId: 'U0123ABC' }],
    ['owner prod/stripe/api_key <@U0123ABC>', { kind: 'owner', name: 'prod/stripe/api_key', userId: 'U0123ABC' }],
    ['add', { kind: 'add' }],
    ['review', { kind: 'review' }],
  ])('%j → %j', (text, expected) => {
    expect(parse(text)).toEqual(expected);
  });

  it.each([
    ['rotate-all', 'Use one of: overdue, due, list, show, owner, add, edit, review, help'],
    ['due soon', 'is not a number of days'],
    ['due 400d', 'between 1 and 365'],
    ['show', 'Say which secret'],
    ['show a/b/c d', 'Too many words'],
    ['owner prod/stripe/api_key', 'Mention the new owner'],
    ['owner prod/stripe/api_key <!subteam^S0123|@devs>', 'is a group or broadcast'],
    ['owner prod/stripe/api_key <!here>', 'is a group or broadcast'],
    ['list prod dev', 'Give at most one environment'],
    ['list redis kafka', 'Give at most one service'],
    ['list Bad!Service', 'is not an environment'],
    ['overdue now', 'Too many words'],
  ])('%j is refused with a reason', (text, expected) => {
    const parsed = parse(text);
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.message).toContain(expected);
  });
});
