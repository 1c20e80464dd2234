import { describe, expect, it } from 'vitest';
import { decide } from '../../src/access/permissions.js';
import { approverRolesHeld, isInRole, membersOfRole, userGroupsOfRoles, type GroupMembers } from '../../src/access/role-members.js';
import { readScopeOf } from '../../src/access/visibility.js';
import { slackActor } from '../../src/access/actor.js';
import { parsePolicy } from '../../src/config/policy.js';
import { ValidationError } from '../../src/core/errors.js';

/**
 * Issue 24 item 2: every role list (the built-in ones and those the policy defines) takes Slack
 * users and user groups, and role-members.ts is the one answer to who is in a role.
 */

const policy = parsePolicy(`
roles:
  admins: [S0ADMINS]
  security_leads: [U0SEC, S0SECURITY]
  devops_leads: [U0OPS]
  responders: [S0ONCALL, U0RESP]
  privacy_counsel: S0PRIVACY
`);

/** A stand-in for UserGroupRepo: what Slack last said, as a map. */
function groupsFrom(members: Record<string, string[]>): GroupMembers {
  return {
    membersOf: (group) => members[group] ?? [],
    groupsOf: (user) =>
      Object.entries(members)
        .filter(([, users]) => users.includes(user))
        .map(([group]) => group),
  };
}

const groups = groupsFrom({
  S0ADMINS: ['U0ADA'],
  S0SECURITY: ['U0SEC', 'U0SEC2'],
  S0ONCALL: ['U0PRIM', 'U0RESP'],
  S0PRIVACY: ['U0PRIV'],
});

describe('who is in a role', () => {
  it('resolves user groups in every role list to their members, each person once, in order', () => {
    expect(membersOfRole(policy, 'security_leads', groups)).toEqual(['U0SEC', 'U0SEC2']);
    expect(membersOfRole(policy, 'security_lead', groups)).toEqual(['U0SEC', 'U0SEC2']);
    expect(membersOfRole(policy, 'admins', groups)).toEqual(['U0ADA']);
    expect(membersOfRole(policy, 'responders', groups)).toEqual(['U0PRIM', 'U0RESP']);
    expect(membersOfRole(policy, 'privacy_counsel', groups)).toEqual(['U0PRIV']);
    expect(membersOfRole(policy, 'no_such_role', groups)).toEqual([]);
  });

  it('counts nobody from a group when Slack was never asked', () => {
    expect(membersOfRole(policy, 'security_leads', null)).toEqual(['U0SEC']);
    expect(isInRole(policy, 'admins', 'U0ADA', null)).toBe(false);
  });

  it('says a member of a group is in the role, and someone outside it is not', () => {
    expect(isInRole(policy, 'admins', 'U0ADA', groups)).toBe(true);
    expect(isInRole(policy, 'admins', 'U0SEC', groups)).toBe(false);
    expect(isInRole(policy, 'responders', 'U0PRIM', groups)).toBe(true);
    expect(approverRolesHeld(policy, 'U0SEC2', groups)).toEqual(['security_lead']);
    expect(approverRolesHeld(policy, 'U0PRIV', groups)).toEqual(['privacy_counsel']);
    expect(approverRolesHeld(policy, 'U0STRANGER', groups)).toEqual([]);
  });

  it('lists the user groups of the built-in lists and the defined roles, with their keys', () => {
    expect(userGroupsOfRoles(policy)).toEqual([
      { group: 'S0ADMINS', role: 'admins' },
      { group: 'S0SECURITY', role: 'security_leads' },
      { group: 'S0ONCALL', role: 'responders' },
      { group: 'S0PRIVACY', role: 'privacy_counsel' },
    ]);
  });

  it('lets a group member act in the permission table and read everything, but not an outsider', () => {
    const asked = (actor: string) => ({ actor, actorGroups: groups.groupsOf(actor) });
    expect(decide(policy, { ...asked('U0ADA'), action: 'change_reference', secret: nobodys }).allowed).toBe(true);
    expect(decide(policy, { ...asked('U0STRANGER'), action: 'change_reference', secret: nobodys }).allowed).toBe(false);
    expect(readScopeOf(policy, slackActor('U0SEC2'), groups.groupsOf('U0SEC2'))).toEqual({ kind: 'all' });
    expect(readScopeOf(policy, slackActor('U0STRANGER'), []).kind).toBe('some');
  });
});

const nobodys = { name: 'prod/x', owner: 'U0OWNER', backupOwner: null, team: null };

describe('the role lists in the policy file', () => {
  it.each(['admins', 'security_leads', 'devops_leads', 'responders'])('%s takes user ids and user group ids', (key) => {
    const parsed = parsePolicy(`roles:\n  ${key}: [U0ONE, W0TWO, S0GROUP]\n`);
    expect(userGroupsOfRoles(parsed)).toEqual([{ group: 'S0GROUP', role: key }]);
  });

  it.each(['admins', 'security_leads', 'devops_leads', 'responders'])('%s refuses an id that is neither, on its line', (key) => {
    expect(problems(`roles:\n  ${key}: [U0ONE, alice]\n`)).toEqual([
      `roles.${key}.1 (line 2): must be a Slack user id such as U0123ABCD or a user group id such as S0123ABCD`,
    ]);
  });
});

function problems(text: string): string[] {
  try {
    parsePolicy(text);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((issue) => `${issue.where}: ${issue.message}`);
    throw error;
  }
  return [];
}
