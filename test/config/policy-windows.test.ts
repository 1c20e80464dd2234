import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import { ValidationError } from '../../src/core/errors.js';

const problems = (text: string): string[] => {
  try {
    parsePolicy(text);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((issue) => `${issue.where}: ${issue.message}`);
    throw error;
  }
  return [];
};

/** The `windows` policy keys (issue 23 item 4), checked at start-up with the key and what to write. */
describe('policy windows', () => {
  it('reads the lead time and the production days and hours, with defaults', () => {
    expect(parsePolicy('{}').windows).toEqual({ leadTimeHours: 24, production: null });
    const policy = parsePolicy(
      'windows:\n  lead_time_hours: 48\n  production:\n    days: [mon, fri]\n    hours: "09:30-17:00"\n    time_zone: Europe/Berlin\n',
    );
    expect(policy.windows).toEqual({
      leadTimeHours: 48,
      production: {
        environments: ['prod'],
        days: ['mon', 'fri'],
        fromMinute: 570,
        toMinute: 1020,
        hours: '09:30-17:00',
        timeZone: 'Europe/Berlin',
      },
    });
  });

  it('refuses a bad time zone, hours, day or environment, naming the key', () => {
    expect(problems('windows:\n  production:\n    time_zone: Mars/Olympus\n')).toEqual([
      expect.stringMatching(/^windows\.production\.time_zone \(line 3\): must be an IANA time zone/),
    ]);
    expect(problems('windows:\n  production:\n    hours: "17:00-09:00"\n')[0]).toMatch(
      /windows\.production\.hours.*must end after it starts/,
    );
    expect(problems('windows:\n  production:\n    hours: "9-17"\n')[0]).toMatch(/windows\.production\.hours.*such as 09:00-17:00/);
    expect(problems('windows:\n  production:\n    days: [monday]\n')[0]).toMatch(/windows\.production\.days\.0/);
    expect(problems('windows:\n  production:\n    environments: [production]\n')[0]).toMatch(
      /windows\.production\.environments\.0.*is not one of the environments \(prod, staging, dev\)/,
    );
  });
});
