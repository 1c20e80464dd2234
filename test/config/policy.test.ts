import { describe, expect, it } from 'vitest';
import { defaultPolicy, loadPolicy, parsePolicy } from '../../src/config/policy.js';
import { ValidationError } from '../../src/core/errors.js';
import { SECRET_TYPES } from '../../src/inventory/secret.js';

function issuesOf(text: string) {
  try {
    parsePolicy(text, 'test.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected the policy to be refused');
}

describe('policy file', () => {
  it('ships an example that parses', () => {
    const policy = loadPolicy('examples/policy.yml');
    expect(policy.roles.teamLeads).toEqual({ payments: 'U01PAYLEAD', platform: 'U01PLATLEAD' });
    expect(policy.reminders.offsetsDays).toEqual([30, 7]);
    expect(policy.retentionHours).toBe(48);
  });

  it('defaults to the playbooks when absent', () => {
    expect(defaultPolicy.environments).toEqual(['prod', 'staging', 'dev']);
    expect(defaultPolicy.intervals.webhook).toBe(180);
    expect(defaultPolicy.approvals.prod).toEqual(['security_lead', 'devops_lead']);
  });

  it('targets.single_user.types: every type by default; a list restricts single-user PostgreSQL rotation; an unknown type is refused', () => {
    expect(defaultPolicy.targets.singleUserTypes).toEqual(SECRET_TYPES);
    expect(parsePolicy('targets:\n  single_user:\n    types: [generic]\n', 'test.yml').targets.singleUserTypes).toEqual(['generic']);
    expect(parsePolicy('targets:\n  single_user:\n    types: []\n', 'test.yml').targets.singleUserTypes).toEqual([]);
    expect(issuesOf('targets:\n  single_user:\n    types: [databse]\n')[0]?.where).toMatch(/^targets\.single_user\.types/);
  });

  it('names the key and line of a wrong value', () => {
    const issues = issuesOf('environments: [prod]\nreminders:\n  local_hour: 27\n');
    expect(issues[0]).toMatchObject({ where: 'reminders.local_hour (line 3)' });
  });

  it('names an unknown key with its line', () => {
    const issues = issuesOf('channels:\n  anounce: C0123\n');
    expect(issues[0]?.where).toBe('channels (line 2)');
    expect(issues[0]?.message).toMatch(/unknown key anounce/);
  });

  it('refuses repeated (overlapping) reminder offsets', () => {
    expect(issuesOf('reminders:\n  offsets_days: [30, 7, 7]\n')[0]?.message).toMatch(/must not repeat/);
  });

  it('refuses a user id that is not one', () => {
    expect(issuesOf('roles:\n  admins: [alice]\n')[0]).toMatchObject({ where: 'roles.admins.0 (line 2)' });
  });

  it('refuses YAML syntax errors with their line', () => {
    expect(issuesOf('environments: [prod\nchannels: {')[0]?.where).toMatch(/^line \d/);
  });
});
