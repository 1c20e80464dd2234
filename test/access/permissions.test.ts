import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import { ACTIONS, decide, describeWhoMay, type Action } from '../../src/access/permissions.js';

const policy = parsePolicy(`
channels:
  incident: [C0INCIDENT]
roles:
  admins: [UADMIN]
  security_leads: [USEC]
  devops_leads: [UOPS]
  responders: [URESP]
  team_leads: { payments: UPAYLEAD }
  cto: UCTO
`);

const secret = { name: 'prod/stripe/api_key', owner: 'UOWNER', backupOwner: 'UBACKUP', team: 'payments' };

type Person = 'UADMIN' | 'USEC' | 'UOPS' | 'URESP' | 'UPAYLEAD' | 'UOWNER' | 'UBACKUP' | 'UCTO' | 'USTRANGER';
const people: Person[] = ['UADMIN', 'USEC', 'UOPS', 'URESP', 'UPAYLEAD', 'UOWNER', 'UBACKUP', 'UCTO', 'USTRANGER'];

/** The whole matrix: action → the people allowed (everyone else is refused). */
const expected: Record<Action, Person[]> = {
  read: ['UADMIN', 'USEC', 'UOPS', 'UPAYLEAD', 'UOWNER', 'UBACKUP'],
  add: ['UADMIN', 'USEC', 'UOPS'],
  edit: ['UADMIN', 'USEC', 'UOPS', 'UPAYLEAD', 'UOWNER', 'UBACKUP'],
  change_owner: ['UADMIN', 'USEC', 'UOPS', 'UPAYLEAD', 'UOWNER'],
  change_reference: ['UADMIN'],
  change_target: ['UADMIN'],
  approve_reference_change: ['USEC'],
  rotate: ['UADMIN', 'USEC', 'UOPS', 'UPAYLEAD', 'UOWNER', 'UBACKUP'],
  approve: ['USEC', 'UOPS'],
  snooze: ['UADMIN', 'USEC', 'UPAYLEAD', 'UOWNER', 'UBACKUP'],
  not_mine: ['UADMIN', 'USEC', 'UPAYLEAD', 'UOWNER', 'UBACKUP'],
  revoke: ['USEC', 'URESP'],
  respond: ['UADMIN', 'USEC', 'UOPS', 'URESP', 'UPAYLEAD', 'UOWNER', 'UBACKUP'],
  close_incident: ['USEC', 'URESP'],
  sign_off: ['USEC'],
  record_use: ['UADMIN', 'USEC', 'UOPS', 'URESP', 'UPAYLEAD', 'UOWNER', 'UBACKUP'],
};

describe('decide', () => {
  const cases = ACTIONS.flatMap((action) => people.map((person) => ({ action, person, allowed: expected[action].includes(person) })));

  it.each(cases)('$action by $person → allowed: $allowed', ({ action, person, allowed }) => {
    const decision = decide(policy, { actor: person, action, secret: action === 'add' ? undefined : secret, channelId: 'C0INCIDENT' });
    expect(decision.allowed).toBe(allowed);
    if (!decision.allowed) expect(decision.whoMay.length).toBeGreaterThan(0);
  });

  it('refuses revocation outside an incident channel, even to a responder, and names the channel', () => {
    const decision = decide(policy, { actor: 'URESP', action: 'revoke', secret, channelId: 'C0GENERAL' });
    expect(decision).toMatchObject({ allowed: false, reason: expect.stringContaining('<#C0INCIDENT>') });
  });

  it('refuses an approval by the person running the rotation (two-person rule)', () => {
    const decision = decide(policy, { actor: 'USEC', action: 'approve', secret, rotationStartedBy: 'USEC' });
    expect(decision).toMatchObject({ allowed: false, reason: expect.stringContaining('two-person rule') });
  });

  it('a secret without a team has no team lead', () => {
    const decision = decide(policy, { actor: 'UPAYLEAD', action: 'edit', secret: { ...secret, team: null } });
    expect(decision.allowed).toBe(false);
  });

  it('says who may do it instead', () => {
    const decision = decide(policy, { actor: 'USTRANGER', action: 'change_owner', secret });
    if (decision.allowed) throw new Error('expected a refusal');
    const text = describeWhoMay(decision.whoMay);
    expect(text).toContain('its owner (<@UOWNER>)');
    expect(text).toContain('its team lead (<@UPAYLEAD>)');
    expect(text).toContain('admins (<@UADMIN>)');
    expect(text).not.toContain('UBACKUP');
  });
});
