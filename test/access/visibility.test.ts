import { afterEach, describe, expect, it } from 'vitest';
import { cliActor, slackActor, SYSTEM_ACTOR } from '../../src/access/actor.js';
import { describeWhoMay } from '../../src/access/permissions.js';
import { mayRead, readScopeOf } from '../../src/access/visibility.js';
import { parsePolicy } from '../../src/config/policy.js';
import { ValidationError } from '../../src/core/errors.js';
import { operator } from '../support/actors.js';
import { openTempStore, type TempStore } from '../support/temp-db.js';

const ROLES = `
roles:
  admins: [UADMIN]
  security_leads: [USEC]
  devops_leads: [UOPS]
  team_leads: { payments: UPAYLEAD }
teams:
  payments: [UPAYDEV, S0PAYGROUP]
`;
const restricted = parsePolicy(ROLES);
const workspace = parsePolicy(`${ROLES}visibility: workspace\n`);

const secret = { name: 'prod/stripe/api_key', owner: 'UOWNER', backupOwner: 'UBACKUP', team: 'payments', access: ['UREADER', 'S0READERS'] };

describe('mayRead', () => {
  it('restricted is the default', () => {
    expect(parsePolicy('').visibility).toBe('restricted');
  });

  it.each([
    ['UOWNER', [], true],
    ['UBACKUP', [], true],
    ['UREADER', [], true],
    ['UGROUPIE', ['S0READERS'], true],
    ['UPAYLEAD', [], true],
    ['UPAYDEV', [], true],
    ['UPAYGROUPIE', ['S0PAYGROUP'], true],
    ['USEC', [], true],
    ['UOPS', [], true],
    ['UADMIN', [], true],
    ['USTRANGER', [], false],
    ['USTRANGER', ['S0OTHER'], false],
  ] as const)('%s (groups %j) → %s under restricted, true under workspace', (userId, groups, allowed) => {
    expect(mayRead(restricted, slackActor(userId), secret, groups)).toBe(allowed);
    expect(mayRead(workspace, slackActor(userId), secret, groups)).toBe(true);
  });

  it('the CLI and Rotor itself read everything; nobody at all only under workspace', () => {
    expect(mayRead(restricted, cliActor('ops'), secret)).toBe(true);
    expect(mayRead(restricted, SYSTEM_ACTOR, secret)).toBe(true);
    expect(mayRead(restricted, null, secret)).toBe(false);
    expect(mayRead(workspace, null, secret)).toBe(true);
  });

  it('a secret without an access list (the facts the other rules pass) is read by its people only', () => {
    const facts = { name: secret.name, owner: 'UOWNER', backupOwner: null, team: null };
    expect(mayRead(restricted, slackActor('UOWNER'), facts)).toBe(true);
    expect(mayRead(restricted, slackActor('UREADER'), facts)).toBe(false);
  });

  it('names a user group as a group mention when saying who may', () => {
    expect(describeWhoMay([{ label: 'readers', userIds: ['UREADER', 'S0READERS'] }])).toBe(
      'Who may: readers (<@UREADER>, <!subteam^S0READERS>).',
    );
  });

  it('refuses a team member that is neither a member nor a user group id, and an unknown visibility, by key and line', () => {
    expect(() => parsePolicy('teams:\n  payments: [sam]\n')).toThrow(ValidationError);
    try {
      parsePolicy('visibility: everyone\n');
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).issues[0]).toMatchObject({ where: 'visibility (line 1)' });
    }
  });
});

describe('ReadScope agrees with mayRead over the real inventory', () => {
  let store: TempStore;
  afterEach(() => store.close());

  it('lists, counts and names exactly the secrets mayRead allows, for every kind of viewer', () => {
    store = openTempStore({ policy: restricted });
    const today = store.clock.now();
    const seed = (name: string, fields: Record<string, unknown>) =>
      store.inventoryService.create(
        { name, lastRotated: today.minus({ days: 200 }).toISODate(), intervalDays: 90, ...fields },
        operator(),
        'test-seed',
      );
    seed('prod/stripe/api_key', { owner: 'UOWNER', team: 'payments' });
    seed('prod/ledger/token', { owner: 'UOTHER', access: ['UREADER'] });
    seed('prod/vault/token', { owner: 'UOTHER', backupOwner: 'UBACKUP', access: ['S0READERS'] });
    seed('prod/hidden/token', { owner: 'UOTHER', team: 'platform' });
    const all = store.inventory.list({}, today, 30);
    const viewers: [string, string[]][] = [
      ['UOWNER', []],
      ['UREADER', []],
      ['UGROUPIE', ['S0READERS']],
      ['UBACKUP', []],
      ['UPAYDEV', []],
      ['UPAYLEAD', []],
      ['USTRANGER', []],
      ['USEC', []],
    ];
    for (const [userId, groups] of viewers) {
      const viewer = slackActor(userId);
      const expected = all.filter((candidate) => mayRead(restricted, viewer, candidate, groups)).map((candidate) => candidate.name);
      const scope = readScopeOf(restricted, viewer, groups);
      expect(
        store.inventory.list({ scope }, today, 30).map((found) => found.name),
        userId,
      ).toEqual(expected);
      expect(
        store.inventory
          .overdue(today, {}, scope)
          .map((found) => found.name)
          .sort(),
        userId,
      ).toEqual([...expected].sort());
      expect(store.inventory.countOverdue(today, scope), userId).toBe(expected.length);
      expect(store.inventory.readableNames(scope), userId).toEqual(expected);
    }
  });
});
