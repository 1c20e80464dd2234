import { describe, expect, it } from 'vitest';
import { loadPolicy, parsePolicy } from '../../src/config/policy.js';
import { ValidationError } from '../../src/core/errors.js';
import { requiredApprovalsFor } from '../../src/rotation/rotation-rules.js';

function issuesOf(text: string) {
  try {
    parsePolicy(text, 'test.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected the policy to be refused');
}

const ROLES = `roles:
  security_leads: [U0SEC1, U0SEC2]
  devops_leads: [U0OPS1]
  cto: U0CTO
  privacy_counsel: [U0PRIV]
  oncall_primary: S0ONCALL1
  oncall_secondary: [U0SRE2]
`;

describe('roles the policy defines', () => {
  it('takes any role name with Slack users or user groups, approvals by environment and by class, any roles on the paths', () => {
    const policy = parsePolicy(
      `${ROLES}approvals:
  prod: [security_lead, devops_lead]
  by_tag:
    dsar_signing: [privacy_counsel]
reminders:
  escalation: [owner, oncall_primary, oncall_secondary, cto]
incident:
  paging: [owner, oncall_primary, security]
contacts:
  U0PRIV: { phone: "+44 20 7946 0000", note: Signal if Slack is down }
`,
    );
    expect(policy.roles.defined).toEqual({ privacy_counsel: ['U0PRIV'], oncall_primary: ['S0ONCALL1'], oncall_secondary: ['U0SRE2'] });
    expect(policy.approvals).toEqual({ prod: ['security_lead', 'devops_lead'] });
    expect(policy.approvalClasses.byTag).toEqual({ dsar_signing: ['privacy_counsel'] });
    expect(policy.reminders.escalation).toEqual(['owner', 'oncall_primary', 'oncall_secondary', 'cto']);
    expect(policy.incident.paging).toEqual(['owner', 'oncall_primary', 'security']);
    expect(policy.contacts['U0PRIV']).toEqual({ phone: '+44 20 7946 0000', note: 'Signal if Slack is down' });
    const tagged = { environment: 'prod', type: 'jwt' as const, tags: { dsar_signing: 'yes' } };
    expect(requiredApprovalsFor(policy, tagged, 'scheduled')).toEqual(['security_lead', 'devops_lead', 'privacy_counsel']);
    expect(requiredApprovalsFor(policy, { ...tagged, tags: {} }, 'scheduled')).toEqual(['security_lead', 'devops_lead']);
    expect(requiredApprovalsFor(policy, tagged, 'emergency')).toEqual([]);
  });

  it('keeps an existing policy file working unchanged', () => {
    const policy = loadPolicy('examples/policy.yml');
    expect(policy.approvals.prod).toEqual(['security_lead', 'devops_lead']);
    expect(policy.incident.paging).toBeNull();
    const bare = parsePolicy('approvals:\n  prod: [security_lead, devops_lead]\n');
    expect(bare.roles.defined).toEqual({});
    expect(bare.approvalClasses).toEqual({ byTag: {}, byType: {} });
  });

  it('refuses a role referenced but not defined, naming the key, the line and the nearest role', () => {
    const issues = issuesOf(`${ROLES}approvals:\n  by_tag:\n    dsar_signing: [privacy_councel]\n`);
    expect(issues[0]?.where).toBe('approvals.by_tag.dsar_signing.0 (line 10)');
    expect(issues[0]?.message).toMatch(/`privacy_councel` is not a role.*\(did you mean privacy_counsel\?\)/);
    const path = issuesOf(`${ROLES}reminders:\n  escalation: [owner, oncall_primray, cto]\n`);
    expect(path[0]?.where).toBe('reminders.escalation.1 (line 9)');
    expect(path[0]?.message).toMatch(/did you mean oncall_primary\?/);
    const paging = issuesOf(`${ROLES}incident:\n  paging: [owner, legal]\n`);
    expect(paging[0]?.where).toBe('incident.paging.1 (line 9)');
  });

  it('refuses a role with nobody in it, naming the key and line', () => {
    const issues = issuesOf('roles:\n  security_leads: [U0SEC1]\n  privacy_counsel: []\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]?.where).toBe('roles.privacy_counsel (line 3)');
    expect(issues[0]?.message).toMatch(/has nobody in it/);
  });

  it('refuses a defined role that is a near miss of a built-in key', () => {
    const issues = issuesOf('roles:\n  securty_leads: [U0SEC1]\n');
    expect(issues[0]?.where).toBe('roles (line 2)');
    expect(issues[0]?.message).toBe('unknown key securty_leads (did you mean security_leads?)');
  });

  it('refuses an approvals rule no configured person can satisfy (one person fills one role)', () => {
    const issues = issuesOf(
      'roles:\n  security_leads: [U0BOTH]\n  devops_leads: [U0OPS1]\n  privacy_counsel: [U0BOTH]\napprovals:\n  prod: [security_lead, devops_lead]\n  by_tag:\n    dsar_signing: [privacy_counsel]\n',
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]?.where).toBe('approvals.by_tag.dsar_signing (line 8)');
    expect(issues[0]?.message).toMatch(/no configured people can satisfy this rule.*need 3 different people.*gives only 2/);
    // A second person in either role makes it satisfiable.
    expect(() =>
      parsePolicy(
        'roles:\n  security_leads: [U0BOTH, U0SEC2]\n  devops_leads: [U0OPS1]\n  privacy_counsel: [U0BOTH]\napprovals:\n  prod: [security_lead, devops_lead]\n  by_tag:\n    dsar_signing: [privacy_counsel]\n',
      ),
    ).not.toThrow();
  });

  it('refuses a contact with neither phone nor note, and a phone that is not one', () => {
    expect(issuesOf('contacts:\n  U0SEC1: {}\n')[0]?.message).toMatch(/give a phone, a note, or both/);
    expect(issuesOf('contacts:\n  U0SEC1: { phone: call me }\n')[0]?.where).toBe('contacts.U0SEC1.phone (line 2)');
  });
});
