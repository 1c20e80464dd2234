import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { decodeListQuery, encodeListQuery, type ListQuery } from '../../../src/slack/listeners/commands/secret-list-query.js';

describe('the "Show more" button value', () => {
  it('decodes what it encoded, for every kind of list', () => {
    const queries: ListQuery[] = [
      { kind: 'overdue', offset: 20 },
      { kind: 'due', days: 365, offset: 40 },
      { kind: 'list', environment: 'prod', owner: 'U0OWNER', service: 's'.repeat(64), offset: 180 },
      { kind: 'list', offset: 0 },
    ];
    for (const query of queries) expect(decodeListQuery(encodeListQuery(query))).toEqual(query);
  });

  it('drops fields it does not know', () => {
    expect(decodeListQuery(JSON.stringify({ kind: 'overdue', offset: 20, extra: 'x' }))).toEqual({ kind: 'overdue', offset: 20 });
  });

  it.each([
    ['not JSON', 'overdue'],
    ['an unknown kind', JSON.stringify({ kind: 'everything', offset: 0 })],
    ['a negative offset', JSON.stringify({ kind: 'overdue', offset: -20 })],
    ['a fractional offset', JSON.stringify({ kind: 'overdue', offset: 1.5 })],
    ['no offset', JSON.stringify({ kind: 'overdue' })],
    ['a window of 0 days', JSON.stringify({ kind: 'due', days: 0, offset: 0 })],
    ['a window past a year', JSON.stringify({ kind: 'due', days: 366, offset: 0 })],
    ['an owner that is no user id', JSON.stringify({ kind: 'list', owner: '<!channel>', offset: 0 })],
    ['an environment of 65 characters', JSON.stringify({ kind: 'list', environment: 'e'.repeat(65), offset: 0 })],
    ['a service that is not text', JSON.stringify({ kind: 'list', service: 7, offset: 0 })],
    ['null', 'null'],
  ])('refuses %s with a message saying to run the command again', (_what, value) => {
    expect(() => decodeListQuery(value)).toThrow(ValidationError);
    expect(() => decodeListQuery(value)).toThrow('run the command again');
  });
});
